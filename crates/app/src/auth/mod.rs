//! Staff authentication: logins with sessions, API tokens, and the first platform admin.

mod bootstrap;
mod login;
mod resolve;
mod tokens;

pub use login::{LoginInput, LoginOutcome};
pub use resolve::{AuthMethod, Authenticated};
pub use tokens::{CreateTokenInput, IssuedToken};
