//! Compiled contract artifacts read from the pinned npm packages, and library linking.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, Bytes, hex};
use serde::Deserialize;

use crate::{DevnetError, Result};

/// One contract's creation bytecode from an npm package's build artifact (Hardhat `artifacts/…json`,
/// Waffle `build/…json` or Foundry `out/<File>.sol/<Contract>.json`), with its unresolved library
/// references.
///
/// The bytecode is kept as hex text because unlinked bytecode holds `__$…$__` placeholders that are
/// not hex; [`Artifact::link`] writes library addresses over them and returns deployable bytes.
#[derive(Clone, Debug)]
pub struct Artifact {
    path: PathBuf,
    /// Creation code as hex without `0x`, placeholders included.
    hex: String,
    /// `file → library name → byte ranges` in the creation code.
    link_references: BTreeMap<String, BTreeMap<String, Vec<LinkReference>>>,
}

/// A byte range of a creation code that must hold a library's address.
#[derive(Clone, Copy, Debug, Deserialize)]
struct LinkReference {
    start: usize,
    length: usize,
}

/// The fields of a Hardhat, Waffle or Foundry artifact this crate reads; the ABI is ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawArtifact {
    /// Hardhat and Waffle: the hex string; Foundry: `{ "object": …, "linkReferences": … }`.
    bytecode: Option<RawCode>,
    evm: Option<RawEvm>,
    #[serde(default)]
    link_references: BTreeMap<String, BTreeMap<String, Vec<LinkReference>>>,
}

/// A `bytecode` field: a hex string, or an object holding it (Foundry, solc's `evm.bytecode`).
#[derive(Deserialize)]
#[serde(untagged)]
enum RawCode {
    Hex(String),
    Object(RawBytecode),
}

#[derive(Deserialize)]
struct RawEvm {
    bytecode: Option<RawBytecode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytecode {
    object: Option<String>,
    #[serde(default)]
    link_references: BTreeMap<String, BTreeMap<String, Vec<LinkReference>>>,
}

impl Artifact {
    /// Reads an artifact JSON file.
    ///
    /// # Errors
    /// [`DevnetError::ArtifactNotFound`] (with the setup command to run) when the file is missing,
    /// [`DevnetError::InvalidArtifact`] when it has no creation bytecode.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = read_file(path)?;
        let raw: RawArtifact = serde_json::from_str(&text).map_err(|e| {
            DevnetError::InvalidArtifact { path: path.to_owned(), reason: e.to_string() }
        })?;
        let mut link_references = raw.link_references;
        let nested = match raw.bytecode {
            Some(RawCode::Hex(hex)) => return Self::from_hex(path, &hex, link_references),
            Some(RawCode::Object(b)) => Some(b),
            None => raw.evm.and_then(|evm| evm.bytecode),
        };
        let code = nested
            .and_then(|b| {
                if link_references.is_empty() {
                    link_references = b.link_references;
                }
                b.object
            })
            .ok_or_else(|| DevnetError::InvalidArtifact {
                path: path.to_owned(),
                reason: "no `bytecode` field".into(),
            })?;
        Self::from_hex(path, &code, link_references)
    }

    /// Checks the creation code's hex (with or without `0x`).
    fn from_hex(
        path: &Path,
        code: &str,
        link_references: BTreeMap<String, BTreeMap<String, Vec<LinkReference>>>,
    ) -> Result<Self> {
        let hex = code.strip_prefix("0x").unwrap_or(code).to_owned();
        if hex.is_empty() || !hex.len().is_multiple_of(2) {
            return Err(DevnetError::InvalidArtifact {
                path: path.to_owned(),
                reason: format!("creation bytecode has {} hex digits", hex.len()),
            });
        }
        Ok(Self { path: path.to_owned(), hex, link_references })
    }

    /// The file this artifact was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The names of the libraries this contract must be linked against (empty for most contracts).
    pub fn libraries(&self) -> impl Iterator<Item = &str> {
        self.link_references.values().flat_map(|libs| libs.keys().map(String::as_str))
    }

    /// The creation code with every library reference replaced by the address `libraries` maps its
    /// contract name to (e.g. `"SupplyLogic"`), ready to deploy. Extra entries are ignored.
    ///
    /// # Errors
    /// [`DevnetError::MissingLibrary`] when a referenced library has no address,
    /// [`DevnetError::InvalidArtifact`] when a reference is out of range or the result is not hex.
    pub fn link(&self, libraries: &BTreeMap<String, Address>) -> Result<Bytes> {
        let mut hex = self.hex.clone();
        for libs in self.link_references.values() {
            for (name, refs) in libs {
                let address = libraries.get(name).ok_or_else(|| DevnetError::MissingLibrary {
                    path: self.path.clone(),
                    library: name.clone(),
                })?;
                let address_hex = hex::encode(address);
                for r in refs {
                    let (from, to) = (r.start * 2, (r.start + r.length) * 2);
                    if r.length != 20 || to > hex.len() || !hex.is_char_boundary(from) {
                        return Err(DevnetError::InvalidArtifact {
                            path: self.path.clone(),
                            reason: format!(
                                "link reference for {name} at bytes {}..{} does not fit",
                                r.start,
                                r.start + r.length
                            ),
                        });
                    }
                    hex.replace_range(from..to, &address_hex);
                }
            }
        }
        hex::decode(&hex).map(Bytes::from).map_err(|e| DevnetError::InvalidArtifact {
            path: self.path.clone(),
            reason: format!("creation bytecode is not hex after linking: {e}"),
        })
    }

    /// The creation code of a contract that links no library.
    ///
    /// # Errors
    /// As [`Artifact::link`]; [`DevnetError::MissingLibrary`] if the contract needs a library.
    pub fn bytecode(&self) -> Result<Bytes> {
        self.link(&BTreeMap::new())
    }
}

/// Reads a UTF-8 file, mapping a missing file to [`DevnetError::ArtifactNotFound`].
pub(crate) fn read_file(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            DevnetError::ArtifactNotFound { path: path.to_owned() }
        } else {
            DevnetError::Read { path: path.to_owned(), source }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(hex: &str, refs: &[(&str, usize)]) -> Artifact {
        let mut libs = BTreeMap::new();
        for (name, start) in refs {
            libs.entry((*name).to_owned())
                .or_insert_with(Vec::new)
                .push(LinkReference { start: *start, length: 20 });
        }
        let mut link_references = BTreeMap::new();
        link_references.insert("contracts/Lib.sol".to_owned(), libs);
        Artifact { path: PathBuf::from("x.json"), hex: hex.to_owned(), link_references }
    }

    #[test]
    fn link_writes_addresses_at_byte_offsets() {
        let placeholder = "__$0123456789abcdef0123456789abcdef01$__";
        assert_eq!(placeholder.len(), 40);
        let a = artifact(&format!("6080{placeholder}00{placeholder}"), &[("Lib", 2), ("Lib", 23)]);
        let lib = Address::repeat_byte(0xab);
        let code = a.link(&BTreeMap::from([("Lib".to_owned(), lib)])).unwrap();
        assert_eq!(code.len(), 43);
        assert_eq!(&code[2..22], lib.as_slice());
        assert_eq!(code[22], 0);
        assert_eq!(&code[23..43], lib.as_slice());
        assert_eq!(a.libraries().collect::<Vec<_>>(), ["Lib"]);
    }

    #[test]
    fn link_reports_missing_library() {
        let a = artifact(&format!("6080{}", "__".repeat(20)), &[("SupplyLogic", 2)]);
        let err = a.bytecode().unwrap_err();
        assert!(
            matches!(err, DevnetError::MissingLibrary { ref library, .. } if library == "SupplyLogic")
        );
    }

    #[test]
    fn reads_foundry_bytecode_objects() {
        let dir = std::env::temp_dir().join(format!("mev-devnet-artifact-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("Foundry.json");
        let json = r#"{"abi":[],"bytecode":{"object":"0x6080","sourceMap":"","linkReferences":{"src/L.sol":{"L":[{"start":1,"length":20}]}}}}"#;
        std::fs::write(&file, json).unwrap();
        let a = Artifact::load(&file).unwrap();
        assert_eq!(a.hex, "6080");
        assert_eq!(a.libraries().collect::<Vec<_>>(), ["L"]);
        std::fs::write(&file, r#"{"bytecode":"0x6080","linkReferences":{}}"#).unwrap();
        assert_eq!(Artifact::load(&file).unwrap().bytecode().unwrap().as_ref(), [0x60, 0x80]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_file_names_the_setup_command() {
        let err = Artifact::load("/nonexistent/devnet/x.json").unwrap_err();
        assert!(matches!(err, DevnetError::ArtifactNotFound { .. }));
        assert!(err.to_string().contains("bash scripts/devnet-setup"), "{err}");
    }
}
