//! What the Admin module's pages show. Each method checks the caller first.

use app::{
    error::AppError,
    ssr::{Caller, SignedInUser},
    types::{
        CampaignSummary, INTEGRATIONS_FLAG, IntegrationsView, OAuthTokenView, Role,
        SalesforceCardView, SalesforceOutcome, SessionView,
    },
};
use store::entities::organizations;

use super::{Console, internal};

#[async_trait::async_trait]
impl app::ssr::Console for Console {
    async fn session(&self, caller: &Caller) -> Result<SessionView, AppError> {
        let user = caller.user()?;
        let org = self.organization_of(user).await?;
        Ok(SessionView {
            username: user.username.clone(),
            role: user.role,
            organization: org.name.clone(),
            integrations_enabled: flag_on(&org, INTEGRATIONS_FLAG),
        })
    }

    async fn integrations(&self, caller: &Caller) -> Result<IntegrationsView, AppError> {
        let admin = caller.admin()?;
        self.require_integrations_flag(admin).await?;
        let account = store::salesforce_accounts::find_for_org(&self.db, admin.organization_id)
            .await
            .map_err(internal)?;
        let salesforce = match (account, &self.salesforce) {
            (Some(account), _) => SalesforceCardView::Connected {
                instance_url: account.instance_url,
                username: account.username,
            },
            (None, None) => SalesforceCardView::NotConfigured,
            (None, Some(_)) => SalesforceCardView::NotConnected,
        };
        let syncs = store::org_syncs::list(&self.db, admin.organization_id)
            .await
            .map_err(internal)?
            .iter()
            .map(crate::status::org_sync_view)
            .collect();
        Ok(IntegrationsView { salesforce, syncs })
    }

    async fn oauth_tokens(&self, caller: &Caller) -> Result<Vec<OAuthTokenView>, AppError> {
        let admin = caller.admin()?;
        let tokens = store::oauth_tokens::list_for_org(&self.db, admin.organization_id)
            .await
            .map_err(internal)?;
        Ok(tokens
            .into_iter()
            .map(|t| OAuthTokenView {
                id: t.id,
                provider: t.provider,
                instance_url: t.instance_url,
                username: t.username,
                issued_at: t.issued_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            })
            .collect())
    }

    async fn disconnect_salesforce(&self, caller: &Caller) -> Result<SalesforceOutcome, AppError> {
        self.disconnect(caller).await
    }

    async fn campaigns(&self, caller: &Caller) -> Result<Vec<CampaignSummary>, AppError> {
        let admin = caller.admin()?;
        self.campaign_summaries(admin.organization_id).await
    }
}

impl Console {
    pub(super) async fn organization_of(
        &self,
        user: &SignedInUser,
    ) -> Result<organizations::Model, AppError> {
        store::organizations::find_by_id(&self.db, user.organization_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| internal("signed-in user's organization is missing"))
    }
}

/// Whether a feature flag is on; unreadable flags count as off (and are logged).
pub(super) fn flag_on(org: &organizations::Model, flag: &str) -> bool {
    match store::organizations::flags(org) {
        Ok(flags) => flags.get(flag).copied().unwrap_or(false),
        Err(error) => {
            tracing::error!(?error, organization = org.id, "unreadable feature flags");
            false
        }
    }
}

/// The role stored for a user, read defensively: an unknown value gets the least access.
pub(super) fn role_of(stored: &str) -> Role {
    Role::parse(stored).unwrap_or(Role::Viewer)
}
