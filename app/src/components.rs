//! Reusable pieces of the admin UI.

pub mod alert;
pub mod card;
pub mod layout;
pub mod modal;
pub mod notice;
pub mod password_field;
pub mod status_dot;
pub mod toggle;
