//! Artifacts (specified in `docs/format.md`): one file per kind, its reader and writer side by
//! side, and the [`Artifact`] that reads any kind by its `format`.
//!
//! A reader accepts exactly one spelling of each value: every key listed for the kind is required,
//! any other key is rejected, keys are ASCII, rationals are canonical strings (never JSON numbers),
//! binary32 values are `"0x"` + 8 lowercase hex digits, sizes are non-negative JSON integers and
//! references are `"sha256:"` + 64 lowercase hex digits. Readers do not check canonical bytes (that
//! is [`crate::json::parse_canonical`]) nor whether references resolve (that is [`crate::audit`]);
//! they turn one parsed JSON value into a typed [`Artifact`].
//!
//! Errors say where, as a key path from the artifact's root (`boxes[1][0][1]`,
//! `tensors[0].f32[3]`), then what was expected and what was found. The caller adds the file name.
pub mod certificate;
pub mod counterexample;
pub mod graph;
pub mod manifest;
pub mod payload;
pub mod property;
pub mod source;
pub mod store;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::json::guards::{at, clip, found, literal, string};
use crate::model::Model;
use crate::property::Vnnlib;
use crate::property::robust::{LinfRobust, output_box_violation};

pub use certificate::{Certificate, TreeCertificate};
pub use counterexample::Counterexample;
pub use graph::GraphFile;
pub use manifest::{Manifest, ManifestEntry};
pub use property::Property;
pub use store::{Written, write_artifact, write_atomic};

/// The artifact kinds of format v1. The `format` field of kind `k` is `torchlean.<k>.v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Payload,
    Graph,
    Property,
    Certificate,
    Counterexample,
    Manifest,
}

impl Kind {
    /// Every kind, in the order of `docs/format.md`.
    pub const ALL: [Kind; 6] =
        [Kind::Payload, Kind::Graph, Kind::Property, Kind::Certificate, Kind::Counterexample, Kind::Manifest];

    /// The kind's name as manifests write it (`payload`, …).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Payload => "payload",
            Kind::Graph => "graph",
            Kind::Property => "property",
            Kind::Certificate => "certificate",
            Kind::Counterexample => "counterexample",
            Kind::Manifest => "manifest",
        }
    }
    /// The value of the `format` field: `torchlean.<name>.v1`.
    pub fn format(self) -> &'static str {
        match self {
            Kind::Payload => "torchlean.payload.v1",
            Kind::Graph => "torchlean.graph.v1",
            Kind::Property => "torchlean.property.v1",
            Kind::Certificate => "torchlean.certificate.v1",
            Kind::Counterexample => "torchlean.counterexample.v1",
            Kind::Manifest => "torchlean.manifest.v1",
        }
    }
    /// The kind named `name`, if any.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
    /// The kind whose `format` is exactly `format`, if any.
    pub fn from_format(format: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.format() == format)
    }
    /// The kind a JSON value declares in its `format` field, without validating anything else.
    pub fn of(value: &Value) -> Option<Kind> {
        value.get("format").and_then(Value::as_str).and_then(Kind::from_format)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A `sha256:` reference inside an artifact: its key path, the kind it must name, and the hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub key: String,
    pub target: Kind,
    pub sha256: String,
}

/// A validated artifact of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Artifact {
    /// A payload of any family: read by [`payload::read`].
    Payload(Model),
    /// A graph artifact's syntax (its network is built over its payload's tensors).
    Graph(GraphFile),
    Property(Property),
    /// A property of kind `violation_dnf` (VNN-LIB): read by [`property::read_violation`].
    ViolationProperty(Vnnlib),
    /// A property of kind `linf_robust`: read by [`property::read_robust`].
    RobustProperty(LinfRobust),
    Certificate(Certificate),
    /// A certificate of method `bab`: read by [`certificate::read_tree`].
    TreeCertificate(TreeCertificate),
    Counterexample(Counterexample),
    Manifest(Manifest),
}

impl Artifact {
    /// Reads any v1 artifact, dispatching on its `format`.
    pub fn read(value: &Value) -> Result<Artifact> {
        let format = value.get("format").ok_or_else(|| match value {
            Value::Object(_) => Error::bad_input("missing key \"format\""),
            v => Error::bad_input(format!("expected an artifact object, found {}", found(v))),
        })?;
        let format = string(format).map_err(|e| e.context("format"))?;
        let kind = Kind::from_format(format).ok_or_else(|| {
            let known: Vec<&str> = Kind::ALL.iter().map(|k| k.format()).collect();
            Error::bad_input(format!("format: expected one of {}, found \"{}\"", known.join(", "), clip(format)))
        })?;
        Ok(match kind {
            Kind::Payload => Artifact::Payload(payload::read(value)?),
            Kind::Graph => Artifact::Graph(graph::read(value)?),
            Kind::Property if value.get("kind").and_then(Value::as_str) == Some("violation_dnf") => {
                Artifact::ViolationProperty(property::read_violation(value)?)
            }
            Kind::Property if value.get("kind").and_then(Value::as_str) == Some("linf_robust") => {
                Artifact::RobustProperty(property::read_robust(value)?)
            }
            Kind::Property if value.get("kind").and_then(Value::as_str) == Some("output_box") => {
                Artifact::Property(property::read_output_box(value)?)
            }
            // Name the key that is wrong, not the keys another kind would have.
            Kind::Property => {
                let found = value.get("kind").map_or_else(|| "none".to_string(), crate::json::guards::found);
                return Err(Error::bad_input(format!(
                    "kind: expected \"violation_dnf\", \"linf_robust\" or \"output_box\", found {found}"
                )));
            }
            Kind::Certificate if value.get("method").and_then(Value::as_str) == Some("bab") => {
                Artifact::TreeCertificate(certificate::read_tree(value)?)
            }
            Kind::Certificate => Artifact::Certificate(certificate::read_ibp(value)?),
            Kind::Counterexample => Artifact::Counterexample(counterexample::read(value)?),
            Kind::Manifest => Artifact::Manifest(manifest::read(value)?),
        })
    }

    /// The artifact's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Artifact::Payload(_) => Kind::Payload,
            Artifact::Graph(_) => Kind::Graph,
            Artifact::Property(_) | Artifact::ViolationProperty(_) | Artifact::RobustProperty(_) => Kind::Property,
            Artifact::Certificate(_) | Artifact::TreeCertificate(_) => Kind::Certificate,
            Artifact::Counterexample(_) => Kind::Counterexample,
            Artifact::Manifest(_) => Kind::Manifest,
        }
    }

    /// Every `sha256:` reference the artifact makes to another artifact (manifest entries are not
    /// references: they are checked against the files they list).
    pub fn references(&self) -> Vec<Reference> {
        let r = |key: &str, target, sha256: &str| Reference { key: key.into(), target, sha256: sha256.into() };
        match self {
            Artifact::Graph(g) => vec![r("payload", Kind::Payload, &g.payload)],
            Artifact::Certificate(c) => {
                vec![r("payload", Kind::Payload, &c.payload), r("property", Kind::Property, &c.property)]
            }
            Artifact::Counterexample(c) => {
                vec![r("payload", Kind::Payload, &c.payload), r("property", Kind::Property, &c.property)]
            }
            Artifact::TreeCertificate(c) => {
                vec![r("payload", Kind::Payload, &c.payload), r("property", Kind::Property, &c.property)]
            }
            Artifact::Payload(_)
            | Artifact::Property(_)
            | Artifact::ViolationProperty(_)
            | Artifact::RobustProperty(_)
            | Artifact::Manifest(_) => Vec::new(),
        }
    }

    /// A property of any kind as the violation DNF `verify` decides (`None` for other artifacts).
    pub fn violation(&self) -> Option<Vnnlib> {
        match self {
            Artifact::ViolationProperty(p) => Some(p.clone()),
            Artifact::RobustProperty(p) => Some(p.violation()),
            Artifact::Property(p) => Some(output_box_violation(&p.input_box, &p.output_box)),
            _ => None,
        }
    }
}

pub(crate) fn expect_format(v: &Value, kind: Kind) -> Result<()> {
    at("format", literal(v, &[kind.format()])).map(|_| ())
}
