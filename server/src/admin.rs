//! Admin commands of the CLI: organizations, feature flags, users.

use std::io::BufRead;

use anyhow::{Context, bail};

use crate::{
    cli::{FlagState, OrgCommand, RoleArg, UserCommand},
    credentials,
};
use sea_orm::DatabaseConnection;

pub async fn run_org(db: &DatabaseConnection, command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Create { name } => {
            let name = name.trim();
            if name.is_empty() {
                bail!("the organization name cannot be empty");
            }
            let org = store::organizations::create(db, name).await?;
            println!("created organization {:?} (id {})", org.name, org.id);
        }
        OrgCommand::List => {
            for org in store::organizations::list(db).await? {
                let flags = store::organizations::flags(&org)?
                    .into_iter()
                    .map(|(flag, on)| format!("{flag}={}", if on { "on" } else { "off" }))
                    .collect::<Vec<_>>()
                    .join(" ");
                println!("{}\t{}\t{}", org.id, org.name, flags);
            }
        }
        OrgCommand::Flag { org, flag, state } => {
            let model = find_org(db, &org).await?;
            let on = matches!(state, FlagState::On);
            store::organizations::set_flag(db, model.id, &flag, on).await?;
            println!(
                "{flag} is now {} for {:?}",
                if on { "on" } else { "off" },
                model.name
            );
        }
    }
    Ok(())
}

pub async fn run_user(db: &DatabaseConnection, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            org,
            username,
            role,
        } => {
            let model = find_org(db, &org).await?;
            let password = read_password()?;
            crate::console::validate_new_password(&password, &password)
                .map_err(|e| anyhow::anyhow!(e.message()))?;
            let hash = credentials::hash_password(&password)?;
            let role = match role {
                RoleArg::Admin => store::users::Role::Admin,
                RoleArg::Viewer => store::users::Role::Viewer,
            };
            let user = store::users::create(db, model.id, username.trim(), &hash, role).await?;
            println!(
                "created user {:?} ({}) in {:?}",
                user.username, user.role, model.name
            );
        }
        UserCommand::Disable { username } => {
            let ended = store::users::set_disabled(db, username.trim(), true)
                .await
                .map_err(|e| no_such_user(e, &username))?;
            println!("disabled user {username:?}; {ended} session(s) ended");
        }
        UserCommand::Enable { username } => {
            store::users::set_disabled(db, username.trim(), false)
                .await
                .map_err(|e| no_such_user(e, &username))?;
            println!("enabled user {username:?}");
        }
        UserCommand::Delete { username } => {
            store::users::delete(db, username.trim())
                .await
                .map_err(|e| no_such_user(e, &username))?;
            println!("deleted user {username:?}");
        }
        UserCommand::Password { username } => {
            if store::users::find_by_username(db, username.trim())
                .await?
                .is_none()
            {
                bail!("no user named {username:?}");
            }
            let password = read_password()?;
            crate::console::validate_new_password(&password, &password)
                .map_err(|e| anyhow::anyhow!(e.message()))?;
            let hash = credentials::hash_password(&password)?;
            let ended = store::users::set_password_hash(db, username.trim(), &hash)
                .await
                .map_err(|e| no_such_user(e, &username))?;
            println!("new password set for {username:?}; {ended} session(s) ended");
        }
        UserCommand::SignOut { username } => {
            let user = store::users::find_by_username(db, username.trim())
                .await?
                .with_context(|| format!("no user named {username:?}"))?;
            let ended = store::sessions::delete_for_user(db, user.id).await?;
            println!("{ended} session(s) of {username:?} ended");
        }
    }
    Ok(())
}

fn no_such_user(error: store::StoreError, username: &str) -> anyhow::Error {
    match error {
        store::StoreError::NotFound(_) => anyhow::anyhow!("no user named {username:?}"),
        other => other.into(),
    }
}

async fn find_org(
    db: &DatabaseConnection,
    name: &str,
) -> anyhow::Result<store::entities::organizations::Model> {
    store::organizations::find_by_name(db, name)
        .await?
        .with_context(|| format!("no organization named {name:?} (see `orgsync org list`)"))
}

/// The new user's password: `ORGSYNC_PASSWORD`, or the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("ORGSYNC_PASSWORD") {
        return Ok(password);
    }
    eprintln!("Password (one line on standard input):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
