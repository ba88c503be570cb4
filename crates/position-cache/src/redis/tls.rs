//! The rustls client configuration of a `rediss://` connection, from PEM files.

use std::{path::Path, sync::Arc};

use fred::{
    rustls::{
        self, ClientConfig, RootCertStore,
        pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
    },
    types::config::TlsConnector,
};

use super::config::RedisTlsConfig;
use crate::error::{Result, StoreError};

/// A connector trusting `tls.ca_file` (else the system's roots) and presenting the client
/// certificate when one is set. Uses the ring provider, whatever other provider is linked in.
pub(super) fn connector(tls: &RedisTlsConfig) -> Result<TlsConnector> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| config_err("tls", e.to_string()))?;
    let mut roots = RootCertStore::empty();
    match &tls.ca_file {
        Some(path) => {
            for cert in certificates(path, "tls.ca_file")? {
                roots
                    .add(cert)
                    .map_err(|e| config_err("tls.ca_file", format!("{}: {e}", path.display())))?;
            }
        }
        None => {
            let native = fred::rustls_native_certs::load_native_certs();
            if let Some(e) = native.errors.first() {
                return Err(config_err("tls", format!("system root certificates: {e}")));
            }
            for cert in native.certs {
                // A system root rustls cannot parse is skipped, as browsers do.
                let _ = roots.add(cert);
            }
        }
    }
    let builder = builder.with_root_certificates(roots);
    let config = match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            let chain = certificates(cert, "tls.cert_file")?;
            let bytes = read(key, "tls.key_file")?;
            let key_der = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
                config_err("tls.key_file", format!("{}: no private key: {e}", key.display()))
            })?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| config_err("tls.cert_file", e.to_string()))?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(config.into())
}

/// Every certificate in the PEM file at `path`; at least one.
fn certificates(path: &Path, field: &'static str) -> Result<Vec<CertificateDer<'static>>> {
    let bytes = read(path, field)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| config_err(field, format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(config_err(field, format!("{}: no PEM certificate", path.display())));
    }
    Ok(certs)
}

fn read(path: &Path, field: &'static str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| config_err(field, format!("cannot read {}: {e}", path.display())))
}

const fn config_err(field: &'static str, reason: String) -> StoreError {
    StoreError::Config { field, reason }
}
