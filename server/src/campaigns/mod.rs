//! Campaigns: from the mirror into dialer campaigns (the materializer), with the pure rules
//! it applies (Link mappings, phone numbers, dial-readiness).

pub mod mapping;
pub mod materialize;
pub mod phones;
pub mod readiness;

pub use materialize::{Materialized, Scope, materialize};
