//! Release detection against real pools: the v3.0 bytecode from npm and v3.6 compiled from its
//! npm sources are told apart from the pools themselves; a forced release that disagrees is
//! warned about; a pool address without code is named in the error.

use std::sync::{Arc, Mutex};

use alloy_primitives::Address;
use mev_health_calc::AaveVersion;
use mev_rebuild::{AaveV3Config, AaveV3Protocol, RebuildError, detect_aave_release};
use tracing_subscriber::fmt::MakeWriter;

use crate::common::Market;

/// Log lines written by a test-local subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

// current_thread: the subscriber set below is thread-local, and connect runs on this thread.
#[tokio::test(flavor = "current_thread")]
async fn v3_6_pool_is_detected_and_a_forced_3_0_is_warned_about() {
    let m = Market::start_v3_6(8, 5).await;
    let reader = m.reader();
    let block = m.devnet.block_number().await.unwrap();
    let multicall = mev_devnet::Multicall3::ADDRESS;

    let release = detect_aave_release(&*reader, m.aave.pool(), multicall, block).await.unwrap();
    assert_eq!(release.version, AaveVersion::V3_6);
    assert_eq!(release.revision, Some(10));
    let f = release.features;
    assert!(
        f.liquidation_grace_period
            && f.emode_collateral_bitmap
            && f.reserve_deficit
            && f.pool_rate_strategy
            && f.emode_ltvzero_bitmap,
        "{f:?}"
    );

    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let forced = AaveV3Config { version: Some(AaveVersion::V3_0), ..m.config() };
    let before = reader.requests();
    let protocol = AaveV3Protocol::connect(&*reader, forced, block).await.unwrap();
    assert_eq!(reader.requests() - before, 2, "detection shares connect's first request");
    assert_eq!(protocol.version(), AaveVersion::V3_0, "the override is used");
    assert_eq!(protocol.version_mismatch(), Some((AaveVersion::V3_0, AaveVersion::V3_6)));
    let text = logs.text();
    assert!(
        text.contains("WARN") && text.contains("disagrees") && text.contains("runs 3.6"),
        "no mismatch warning in:\n{text}"
    );

    // Agreeing override: no warning.
    let agreeing = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(agreeing.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let same = AaveV3Config { version: Some(AaveVersion::V3_6), ..m.config() };
    let protocol = AaveV3Protocol::connect(&*reader, same, block).await.unwrap();
    assert_eq!(protocol.version_mismatch(), None);
    assert!(!agreeing.text().contains("WARN"), "{}", agreeing.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_0_pool_is_detected_and_an_address_without_code_is_named() {
    let m = Market::start(4, 3).await;
    let reader = m.reader();
    let block = m.devnet.block_number().await.unwrap();
    let multicall = mev_devnet::Multicall3::ADDRESS;
    let release = detect_aave_release(&*reader, m.aave.pool(), multicall, block).await.unwrap();
    assert_eq!(release.version, AaveVersion::V3_0);
    assert_eq!(release.revision, Some(1));
    assert_eq!(release.features, mev_rebuild::AaveFeatures::default());

    let nowhere = Address::repeat_byte(0x5a);
    let err = detect_aave_release(&*reader, nowhere, multicall, block).await.unwrap_err();
    assert!(matches!(err, RebuildError::Call { target, .. } if target == nowhere), "{err:?}");
    assert!(err.to_string().contains(&nowhere.to_string()), "{err}");
    let config = AaveV3Config { pool: nowhere, ..m.config() };
    let err = AaveV3Protocol::connect(&*reader, config, block).await.unwrap_err();
    assert!(err.to_string().contains("POOL_REVISION"), "{err}");
}
