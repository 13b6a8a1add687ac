//! Reusable pieces of the admin UI.

pub mod layout;
pub mod notice;
pub mod password_field;
