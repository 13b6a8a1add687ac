//! HTTP tests: the real router on a random port, a fresh SQLite store per test.

mod access;
mod auth;
mod cli;
mod dialer;
mod helpers;
mod org_syncs;
mod salesforce;
mod security;
