//! The list a model keeps its layers in. Most layers are only a [`Layer`]; the model
//! knows three kinds by name: `Conv2D` and `Dense`, whose products the profile counts
//! ([`Products`]), and `MaxPooling2D`, which the convolution before it can run
//! ([`fuse_pools`]).

use std::ops::{Deref, DerefMut};

use crate::layers::{Conv2d, Dense, Layer, MaxPool2d};
use crate::profile::{BackwardSplit, MultiplyAdds, Products};

/// One layer of a model.
pub(crate) enum ModelLayer {
    Conv2d(Box<Conv2d>),
    Dense(Box<Dense>),
    MaxPool2d(Box<MaxPool2d>),
    /// Any other layer (flatten, dropout, activation).
    Other(Box<dyn Layer>),
}

impl Deref for ModelLayer {
    type Target = dyn Layer;
    fn deref(&self) -> &(dyn Layer + 'static) {
        match self {
            ModelLayer::Conv2d(l) => &**l,
            ModelLayer::Dense(l) => &**l,
            ModelLayer::MaxPool2d(l) => &**l,
            ModelLayer::Other(l) => &**l,
        }
    }
}

impl DerefMut for ModelLayer {
    fn deref_mut(&mut self) -> &mut (dyn Layer + 'static) {
        match self {
            ModelLayer::Conv2d(l) => &mut **l,
            ModelLayer::Dense(l) => &mut **l,
            ModelLayer::MaxPool2d(l) => &mut **l,
            ModelLayer::Other(l) => &mut **l,
        }
    }
}

impl ModelLayer {
    fn products(&self) -> Option<&dyn Products> {
        match self {
            ModelLayer::Conv2d(l) => Some(&**l),
            ModelLayer::Dense(l) => Some(&**l),
            _ => None,
        }
    }

    /// Multiply-adds per sample of each pass (none for a layer without products).
    pub fn multiply_adds(&self) -> MultiplyAdds {
        self.products().map(Products::multiply_adds).unwrap_or_default()
    }

    /// How the last backward's thread-time divided between the layer's products.
    pub fn take_backward_split(&mut self) -> Option<BackwardSplit> {
        match self {
            ModelLayer::Conv2d(l) => l.take_backward_split(),
            ModelLayer::Dense(l) => l.take_backward_split(),
            _ => None,
        }
    }
}

/// Runs each max-pool inside the convolution before it when it can
/// ([`Conv2d::fuse_pool`]): the same values and gradients, without the full-size
/// output's trip through memory. The pool stays in the list, passing its tensors through.
pub(crate) fn fuse_pools(layers: &mut [ModelLayer]) {
    for i in 1..layers.len() {
        if let [ModelLayer::Conv2d(conv), ModelLayer::MaxPool2d(pool)] = &mut layers[i - 1..=i] {
            if let Some(windows) = pool.pool_to_fuse() {
                if conv.fuse_pool(windows) {
                    pool.set_fused();
                }
            }
        }
    }
}
