//! orgsync: keeps Salesforce Contacts and Leads flowing into dialer campaigns.
//!
//! This crate is the server side of the single `orgsync` binary: configuration, the web
//! layer, the console (use cases the UI may perform), the admin commands, and start-up.

pub mod admin;
pub mod campaigns;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod console;
pub mod credentials;
pub mod demo;
pub mod exposure;
pub mod salesforce_sessions;
pub mod secrets;
pub mod sim;
pub mod site;
pub mod startup;
pub mod status;
pub mod sync;
pub mod telemetry;
pub mod throttle;
pub mod untrusted;
pub mod web;
