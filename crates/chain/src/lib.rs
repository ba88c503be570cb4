#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod counted;
mod error;
mod fallback;
mod metered;
pub mod multicall;
mod provider;
mod reader;
mod retry;
mod timeout;

pub use counted::Counted;
pub use error::{ChainError, ChainErrorKind, Result, redact};
pub use fallback::Fallback;
pub use metered::Metered;
pub use multicall::{Call3, Call3Result, IMulticall3, MULTICALL3_ADDRESS, aggregate3, call3};
pub use provider::ProviderChain;
pub use reader::{BlockHeader, ChainReader};
pub use retry::{Retry, RetryConfig};
pub use timeout::Timeout;
