//! The network as the searches see it: the graph (whose exact and binary32 evaluations decide a
//! counterexample), its dense view (what the bound engines run on), and the dense view's weights as
//! `f64` (exact: they are binary32 values) for the heuristics (split choice, α search,
//! counterexample descent), never part of a bound.
use crate::bounds::dense::{Activation, Dense};
use crate::error::Result;
use crate::ir::Graph;

/// A graph with the views the searches use, derived once per run.
pub(crate) struct Net<'g> {
    pub(crate) graph: &'g Graph,
    pub(crate) dense: Dense,
    pub(crate) f64: F64Net,
}

impl<'g> Net<'g> {
    /// The views of `graph`; fails (naming the node) when it has no dense view.
    pub(crate) fn new(graph: &'g Graph) -> Result<Net<'g>> {
        let dense = Dense::of(graph)?;
        let f64 = F64Net::new(&dense);
        Ok(Net { graph, dense, f64 })
    }
}

/// Network weights as `f64` (exact: binary32 values), for the heuristics.
pub(crate) struct F64Net {
    pub(crate) layers: Vec<(Vec<Vec<f64>>, Vec<f64>, Activation)>,
}

impl F64Net {
    pub(crate) fn new(mlp: &Dense) -> F64Net {
        let f = |b: &crate::num::binary32::F32| b.to_f64().value;
        F64Net {
            layers: mlp
                .layers
                .iter()
                .map(|l| (l.weight.iter().map(|r| r.iter().map(f).collect()).collect(), l.bias.iter().map(f).collect(), l.act))
                .collect(),
        }
    }
}
