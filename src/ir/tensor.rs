//! Dense row-major tensors and the store of named parameter tensors (binary32 bits, as payloads
//! carry them).
use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::num::binary32::F32;

/// A dense tensor: a shape and its values in row-major order (`data.len()` = product of `shape`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tensor<T> {
    shape: Vec<usize>,
    data: Vec<T>,
}

/// The element count of a shape (1 for `[]`), `None` on overflow.
pub fn numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

impl<T> Tensor<T> {
    /// A tensor of `shape` holding `data`; fails unless `data.len()` is the product of `shape`.
    pub fn new(shape: Vec<usize>, data: Vec<T>) -> Result<Tensor<T>> {
        if numel(&shape) != Some(data.len()) {
            return Err(Error::bad_input(format!(
                "expected {} values for shape {shape:?}, found {}",
                numel(&shape).map_or("more than usize::MAX".into(), |n| n.to_string()),
                data.len()
            )));
        }
        Ok(Tensor { shape, data })
    }
    /// A 1-D tensor.
    pub fn vector(data: Vec<T>) -> Tensor<T> {
        Tensor { shape: vec![data.len()], data }
    }
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn data(&self) -> &[T] {
        &self.data
    }
    pub fn into_data(self) -> Vec<T> {
        self.data
    }
    /// The same values under another shape of the same element count (crate-internal: callers
    /// have checked the count).
    pub(crate) fn from_parts(shape: Vec<usize>, data: Vec<T>) -> Tensor<T> {
        debug_assert_eq!(numel(&shape), Some(data.len()));
        Tensor { shape, data }
    }
}

/// Named parameter tensors as binary32 bits, the values a graph's `params` refer to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TensorStore {
    tensors: BTreeMap<String, Tensor<F32>>,
}

impl TensorStore {
    pub fn new() -> TensorStore {
        TensorStore::default()
    }
    /// Adds tensor `name`; fails if the name is taken.
    pub fn insert(&mut self, name: &str, tensor: Tensor<F32>) -> Result<()> {
        if self.tensors.contains_key(name) {
            return Err(Error::bad_input(format!("tensor \"{name}\": expected a fresh name, found it stored twice")));
        }
        self.tensors.insert(name.to_string(), tensor);
        Ok(())
    }
    /// The tensor named `name`, if stored.
    pub fn get(&self, name: &str) -> Option<&Tensor<F32>> {
        self.tensors.get(name)
    }
    /// The stored names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tensors.keys().map(String::as_str)
    }
}
