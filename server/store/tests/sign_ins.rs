//! Integration tests for Salesforce sign-ins in progress (`store::salesforce_sign_ins`): taken
//! once, compared with the caller before they are taken, expired, bounded per organization and
//! in all, also under concurrency. Every test runs on SQLite and on PostgreSQL (see `common`).

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use store::{
    StoreError,
    entities::{salesforce_sign_ins as entity, sessions as session_entity},
    salesforce_sign_ins::{self as sign_ins, MAX_PENDING, MAX_PENDING_PER_ORG, NewSignIn, Taken},
    sessions,
    users::{self, Role},
};

use common::{on_both_backends, org};

const TTL: TimeDelta = TimeDelta::minutes(10);

/// An admin's session, the owner of sign-ins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Owner {
    organization_id: i64,
    user_id: i64,
    session_id: i64,
}

/// An organization `name` with an admin `name-admin` signed in once.
async fn owner(db: &DatabaseConnection, name: &str) -> Owner {
    let org = org(db, name).await;
    let user = users::create(db, org.id, &format!("{name}-admin"), "hash", Role::Admin)
        .await
        .expect("create an admin");
    let session = sessions::create(
        db,
        user.id,
        &format!("{name}-session"),
        Utc::now() + TimeDelta::hours(1),
    )
    .await
    .expect("create a session");
    Owner {
        organization_id: org.id,
        user_id: user.id,
        session_id: session.id,
    }
}

/// Another session of the same admin.
async fn second_session(db: &DatabaseConnection, of: Owner) -> Owner {
    let session = sessions::create(
        db,
        of.user_id,
        &format!("second-session-{}", of.session_id),
        Utc::now() + TimeDelta::hours(1),
    )
    .await
    .expect("create a session");
    Owner {
        session_id: session.id,
        ..of
    }
}

fn new_sign_in(state_hash: &str, owner: Owner, started: DateTime<Utc>) -> NewSignIn {
    NewSignIn {
        state_hash: state_hash.to_owned(),
        organization_id: owner.organization_id,
        user_id: owner.user_id,
        session_id: owner.session_id,
        pkce_verifier_ciphertext: format!("v1:ciphertext-of-{state_hash}"),
        expires_at: started + TTL,
    }
}

/// Starts a sign-in at `started`.
async fn start(db: &DatabaseConnection, state_hash: &str, owner: Owner, started: DateTime<Utc>) {
    sign_ins::insert(db, new_sign_in(state_hash, owner, started), started)
        .await
        .unwrap_or_else(|e| panic!("start {state_hash}: {e}"));
}

fn owned_by(owner: Owner) -> impl FnOnce(&entity::Model) -> bool {
    move |row| {
        row.organization_id == owner.organization_id
            && row.user_id == owner.user_id
            && row.session_id == owner.session_id
    }
}

/// Takes `state_hash` at `now` for anyone: `true` if it was there.
async fn take_any(db: &DatabaseConnection, state_hash: &str, now: DateTime<Utc>) -> bool {
    match sign_ins::take_if(db, state_hash, now, |_| true)
        .await
        .expect("take")
    {
        Taken::Found(_) => true,
        Taken::Missing => false,
        Taken::NotYours => panic!("accepting anyone cannot be refused"),
    }
}

async fn pending(db: &DatabaseConnection) -> u64 {
    entity::Entity::find().count(db).await.expect("count")
}

async fn pending_of(db: &DatabaseConnection, organization_id: i64) -> Vec<String> {
    entity::Entity::find()
        .filter(entity::Column::OrganizationId.eq(organization_id))
        .order_by_asc(entity::Column::Id)
        .all(db)
        .await
        .expect("list")
        .into_iter()
        .map(|row| row.state_hash)
        .collect()
}

#[tokio::test]
async fn a_sign_in_is_taken_once_with_its_owner_and_verifier() {
    on_both_backends(|db| async move {
        let acme = owner(&db, "Acme").await;
        let now = Utc::now();
        start(&db, "abc", acme, now).await;

        let taken = sign_ins::take_if(&db, "abc", now + TimeDelta::minutes(9), owned_by(acme))
            .await
            .expect("take");
        let Taken::Found(row) = taken else {
            panic!("the first callback finds it: {taken:?}");
        };
        assert_eq!(
            Owner {
                organization_id: row.organization_id,
                user_id: row.user_id,
                session_id: row.session_id,
            },
            acme
        );
        assert_eq!(row.pkce_verifier_ciphertext, "v1:ciphertext-of-abc");
        assert_eq!(row.expires_at, row.created_at + TTL);
        assert!(!take_any(&db, "abc", now).await, "a replay finds nothing");
        assert_eq!(pending(&db).await, 0);
    })
    .await;
}

#[tokio::test]
async fn unknown_and_expired_states_are_missing_and_expired_ones_are_purged() {
    on_both_backends(|db| async move {
        let acme = owner(&db, "Acme").await;
        let now = Utc::now();
        assert!(!take_any(&db, "forged", now).await);

        // Taken at its expiry: missing, and gone (even for its owner).
        start(&db, "old", acme, now).await;
        assert!(matches!(
            sign_ins::take_if(&db, "old", now + TTL, owned_by(acme))
                .await
                .expect("take"),
            Taken::Missing
        ));
        assert_eq!(pending(&db).await, 0, "the expired sign-in was deleted");

        // Expired ones nobody came back for are purged when the next sign-in starts.
        start(&db, "abandoned", acme, now).await;
        start(&db, "also-abandoned", acme, now + TimeDelta::minutes(1)).await;
        let later = now + TTL + TimeDelta::seconds(30);
        start(&db, "fresh", acme, later).await;
        assert_eq!(
            pending_of(&db, acme.organization_id).await,
            ["also-abandoned", "fresh"]
        );
        start(&db, "fresher", acme, now + TTL + TimeDelta::minutes(1)).await;
        assert_eq!(
            pending_of(&db, acme.organization_id).await,
            ["fresh", "fresher"]
        );
        assert!(take_any(&db, "fresh", later).await);
    })
    .await;
}

#[tokio::test]
async fn a_wrong_caller_does_not_burn_the_pending_sign_in() {
    on_both_backends(|db| async move {
        let acme = owner(&db, "Acme").await;
        let other_session = second_session(&db, acme).await;
        let stranger = owner(&db, "Globex").await;
        let now = Utc::now();
        start(&db, "abc", acme, now).await;

        for wrong in [other_session, stranger] {
            let taken = sign_ins::take_if(&db, "abc", now, owned_by(wrong))
                .await
                .expect("take");
            assert!(matches!(taken, Taken::NotYours), "{wrong:?}: {taken:?}");
        }
        assert_eq!(pending(&db).await, 1, "still there for its owner");
        assert!(matches!(
            sign_ins::take_if(&db, "abc", now, owned_by(acme))
                .await
                .expect("take"),
            Taken::Found(_)
        ));
        assert!(matches!(
            sign_ins::take_if(&db, "abc", now, owned_by(acme))
                .await
                .expect("take"),
            Taken::Missing
        ));
    })
    .await;
}

#[tokio::test]
async fn one_organization_cannot_push_out_another_organizations_sign_in() {
    on_both_backends(|db| async move {
        let flooder = owner(&db, "Flooder").await;
        let victim = owner(&db, "Victim").await;
        let t0 = Utc::now();
        start(&db, "theirs", victim, t0).await;
        let flood = 3 * MAX_PENDING_PER_ORG;
        for n in 0..flood {
            let at = t0 + TimeDelta::seconds(1 + n as i64);
            start(&db, &format!("flood{n}"), flooder, at).await;
        }
        // The flooding organization keeps only its newest sign-ins…
        let newest: Vec<String> = (flood - MAX_PENDING_PER_ORG..flood)
            .map(|n| format!("flood{n}"))
            .collect();
        assert_eq!(pending_of(&db, flooder.organization_id).await, newest);
        // …and the other organization's sign-in survives.
        assert!(take_any(&db, "theirs", t0).await);
    })
    .await;
}

#[tokio::test]
async fn the_oldest_sign_in_makes_room_when_full() {
    on_both_backends(|db| async move {
        // MAX_PENDING sign-ins, MAX_PENDING_PER_ORG from each of several organizations,
        // sign-in `s{n}` started `n` milliseconds after t0 (none has expired at the end).
        let t0 = Utc::now();
        let orgs = MAX_PENDING / MAX_PENDING_PER_ORG;
        let mut owners = Vec::new();
        for o in 0..orgs {
            owners.push(owner(&db, &format!("org{o}")).await);
        }
        let rows: Vec<entity::ActiveModel> = (0..MAX_PENDING)
            .map(|n| {
                let started = t0 + TimeDelta::milliseconds(n as i64);
                let owner = owners[(n % orgs) as usize];
                let row = new_sign_in(&format!("s{n}"), owner, started);
                entity::ActiveModel {
                    state_hash: sea_orm::Set(row.state_hash),
                    organization_id: sea_orm::Set(row.organization_id),
                    user_id: sea_orm::Set(row.user_id),
                    session_id: sea_orm::Set(row.session_id),
                    pkce_verifier_ciphertext: sea_orm::Set(row.pkce_verifier_ciphertext),
                    created_at: sea_orm::Set(started),
                    expires_at: sea_orm::Set(row.expires_at),
                    ..Default::default()
                }
            })
            .collect();
        for chunk in rows.chunks(256) {
            entity::Entity::insert_many(chunk.to_vec())
                .exec(&db)
                .await
                .expect("fill the table");
        }
        assert_eq!(pending(&db).await, MAX_PENDING);

        // A newcomer organization: the oldest of all makes room.
        let newcomer = owner(&db, "Newcomer").await;
        let now = t0 + TimeDelta::milliseconds(MAX_PENDING as i64);
        start(&db, "new", newcomer, now).await;
        assert_eq!(pending(&db).await, MAX_PENDING);
        assert!(!take_any(&db, "s0", now).await, "the oldest was dropped");
        assert!(take_any(&db, "new", now).await);

        // An organization at its own bound: its own oldest makes room, not the oldest of all.
        // `s1` is the oldest left; owners[2] owns s2, s2+orgs, ….
        start(&db, "mine", owners[2], now).await;
        assert!(
            !take_any(&db, "s2", now).await,
            "its own oldest was dropped"
        );
        assert!(take_any(&db, "s1", now).await, "the oldest of all stays");
        assert!(take_any(&db, "mine", now).await);
    })
    .await;
}

#[tokio::test]
async fn concurrent_callbacks_with_the_same_state_take_it_exactly_once() {
    on_both_backends(|db| async move {
        let acme = owner(&db, "Acme").await;
        let now = Utc::now();
        for round in 0..20 {
            let state = format!("race{round}");
            start(&db, &state, acme, now).await;
            let callbacks: Vec<_> = (0..4)
                .map(|_| {
                    let db = db.clone();
                    let state = state.clone();
                    tokio::spawn(async move {
                        sign_ins::take_if(&db, &state, now, owned_by(acme)).await
                    })
                })
                .collect();
            let mut found = 0;
            for callback in callbacks {
                match callback.await.expect("task").expect("take") {
                    Taken::Found(_) => found += 1,
                    Taken::Missing => {}
                    Taken::NotYours => panic!("the owner is refused"),
                }
            }
            assert_eq!(found, 1, "round {round}: exactly one callback wins");
        }
        assert_eq!(pending(&db).await, 0);
    })
    .await;
}

#[tokio::test]
async fn concurrent_starts_keep_the_bound() {
    on_both_backends(|db| async move {
        let acme = owner(&db, "Acme").await;
        let now = Utc::now();
        let starts: Vec<_> = (0..3 * MAX_PENDING_PER_ORG)
            .map(|n| {
                let db = db.clone();
                tokio::spawn(async move {
                    sign_ins::insert(&db, new_sign_in(&format!("s{n}"), acme, now), now).await
                })
            })
            .collect();
        for started in starts {
            started.await.expect("task").expect("start");
        }
        assert_eq!(pending(&db).await, MAX_PENDING_PER_ORG);
    })
    .await;
}

#[tokio::test]
async fn a_sign_in_needs_its_owner_and_a_fresh_state_and_ends_with_its_session() {
    on_both_backends(|db| async move {
        let acme = owner(&db, "Acme").await;
        let now = Utc::now();
        let no_session = Owner {
            session_id: acme.session_id + 1000,
            ..acme
        };
        let refused = sign_ins::insert(&db, new_sign_in("abc", no_session, now), now).await;
        assert!(
            matches!(refused, Err(StoreError::NotFound(_))),
            "{refused:?}"
        );
        assert_eq!(pending(&db).await, 0);

        start(&db, "abc", acme, now).await;
        let again = sign_ins::insert(&db, new_sign_in("abc", acme, now), now).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

        // Signing out ends the sign-ins that session started.
        session_entity::Entity::delete_by_id(acme.session_id)
            .exec(&db)
            .await
            .expect("end the session");
        assert_eq!(pending(&db).await, 0);
    })
    .await;
}
