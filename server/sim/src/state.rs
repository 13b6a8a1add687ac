//! The org's in-memory state: users, records per object (with the recycle bin), settings,
//! tokens, faults, call counters and API usage. Every write goes through here and publishes
//! its change event when the entity is selected for CDC.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard},
};

use chrono::{DateTime, TimeZone, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{
    auth::Tokens,
    cdc,
    config::{Edition, SimConfig},
    errors::ApiError,
    events::{ChangeType, EventLog, NewChange},
    faults::Faults,
    ids,
    records::{self, Record, field_datetime, rest_datetime},
    rest::query::Cursors,
    schema::Object,
    seed,
};

/// A simulated user.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub username: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
}

/// Mutable org-level settings (control API).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub edition: Edition,
    pub cdc_entities: Vec<String>,
    pub daily_api_max: u64,
    pub api_usage: u64,
}

/// One object's records; deleted ones stay (IsDeleted = true) until purged. Records are shared
/// (`Arc`) so an open query locator keeps the rows of its result as they were when the query
/// ran; a write replaces the record (or copies it first while a locator still holds it).
#[derive(Default)]
pub struct Table {
    pub records: BTreeMap<String, Arc<Record>>,
    pub deleted_at: BTreeMap<String, DateTime<Utc>>,
}

/// All records.
pub struct Data {
    tables: [Table; 4],
    next_id: u64,
}

impl Data {
    pub fn table(&self, object: Object) -> &Table {
        &self.tables[object as usize]
    }

    fn table_mut(&mut self, object: Object) -> &mut Table {
        &mut self.tables[object as usize]
    }

    fn new_id(&mut self, object: Object) -> String {
        self.next_id += 1;
        ids::make_id(object.key_prefix(), self.next_id)
    }

    /// A record by id, looking at the key prefix to pick the table.
    pub fn record(&self, object: Object, id: &str) -> Option<&Record> {
        self.table(object).records.get(id).map(Arc::as_ref)
    }
}

impl soql::Related for Data {
    fn record(&self, object: &str, id: &str) -> Option<&soql::Record> {
        let object = Object::parse(object)?;
        self.table(object).records.get(id).map(Arc::as_ref)
    }
}

/// Who makes a change, and through which API (`changeOrigin`).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub origin: String,
}

/// Knobs for generators and seeding.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Use this instead of now for LastModifiedDate/SystemModstamp (and CreatedDate on create).
    pub stamp: Option<DateTime<Utc>>,
    /// Skip the change event (seeding).
    pub silent: bool,
    /// Group several changes into one CDC transaction.
    pub transaction: Option<(String, i64)>,
}

/// A record of a multi-record create, validated and stamped, without its id yet.
struct NewRecord {
    object: Object,
    record: Record,
    stamp: DateTime<Utc>,
}

/// A record a multi-record create stored: its id and, unless silent, its CDC body.
struct Created {
    object: Object,
    id: String,
    body: Option<Map<String, Value>>,
    stamp: DateTime<Utc>,
}

/// The simulated org.
pub struct Org {
    pub config: SimConfig,
    /// When the org was created: the earliest point deleted records are available from.
    pub started: DateTime<Utc>,
    pub org_id: String,
    pub users: Vec<User>,
    pub events: EventLog,
    pub faults: Faults,
    pub cursors: Cursors,
    tokens: Mutex<Tokens>,
    data: RwLock<Data>,
    settings: Mutex<Settings>,
    counters: Mutex<BTreeMap<String, u64>>,
    rng: Mutex<StdRng>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Org {
    /// Builds the org with its users and deterministic seed records.
    pub fn new(config: SimConfig) -> Org {
        let org_id = ids::make_id(ids::ORG_PREFIX, config.seed % 1_000_000 + 1);
        let mut data = Data {
            tables: Default::default(),
            next_id: 0,
        };
        let base = Utc
            .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_else(Utc::now);
        let mut users = Vec::new();
        for index in 0..config.users.max(1) {
            let (username, password, first_name, last_name) = seed::user(index);
            let id = data.new_id(Object::User);
            let mut record = Record::new();
            let stamp = json!(rest_datetime(base));
            for (key, value) in [
                ("Id", json!(id)),
                ("Username", json!(username)),
                ("Name", json!(format!("{first_name} {last_name}"))),
                ("FirstName", json!(first_name)),
                ("LastName", json!(last_name)),
                ("Email", json!(username)),
                (
                    "Alias",
                    json!(
                        first_name
                            .chars()
                            .take(5)
                            .collect::<String>()
                            .to_lowercase()
                    ),
                ),
                ("IsActive", json!(true)),
                ("CreatedDate", stamp.clone()),
                ("LastModifiedDate", stamp.clone()),
                ("SystemModstamp", stamp),
                ("TimeZoneSidKey", json!("Europe/Berlin")),
            ] {
                record.insert(key.to_string(), value);
            }
            data.table_mut(Object::User)
                .records
                .insert(id.clone(), Arc::new(record));
            users.push(User {
                id,
                username,
                password,
                first_name,
                last_name,
            });
        }
        let settings = Settings {
            edition: config.edition,
            cdc_entities: config.cdc_entities.clone(),
            daily_api_max: config.edition.daily_api_requests(),
            api_usage: 0,
        };
        let org = Org {
            tokens: Mutex::new(Tokens::new(
                &org_id,
                config.access_token_ttl,
                config.refresh_token_ttl,
            )),
            events: EventLog::new(config.event_retention),
            faults: Faults::default(),
            cursors: Cursors::default(),
            data: RwLock::new(data),
            settings: Mutex::new(settings),
            counters: Mutex::new(BTreeMap::new()),
            rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
            started: records::now(),
            org_id,
            users,
            config,
        };
        org.seed(base);
        org
    }

    fn seed(&self, base: DateTime<Utc>) {
        let admin = self.admin_actor(String::new());
        let owners: Vec<String> = self.users.iter().map(|u| u.id.clone()).collect();
        for (object, count) in [
            (Object::Contact, self.config.contacts),
            (Object::Lead, self.config.leads),
        ] {
            for _ in 0..count {
                let (fields, offset) = {
                    let mut rng = lock(&self.rng);
                    let fields = seed::person(&mut rng, object == Object::Lead, &owners);
                    (fields, rng.gen_range(0..300 * 86_400))
                };
                let stamp = base + chrono::Duration::seconds(offset);
                let options = WriteOptions {
                    stamp: Some(stamp),
                    silent: true,
                    transaction: None,
                };
                if let Err(error) = self.create(object, &Value::Object(fields), &admin, &options) {
                    tracing::warn!(?error, "seed record rejected");
                }
            }
        }
    }

    /// Generates `count` new seeded records of `object` (Contact or Lead) through the normal
    /// write path (with change events).
    pub fn generate(
        &self,
        object: Object,
        count: usize,
        options: &WriteOptions,
    ) -> Result<Vec<String>, ApiError> {
        let owners: Vec<String> = self.users.iter().map(|u| u.id.clone()).collect();
        let actor = self.admin_actor(String::new());
        let mut created = Vec::with_capacity(count);
        for _ in 0..count {
            let fields = {
                let mut rng = lock(&self.rng);
                match object {
                    Object::Task => {
                        let mut m = Map::new();
                        m.insert("Subject".into(), json!("Call"));
                        m.insert("TaskSubtype".into(), json!("Call"));
                        m.insert("CallDurationInSeconds".into(), json!(rng.gen_range(0..600)));
                        m
                    }
                    _ => seed::person(&mut rng, object == Object::Lead, &owners),
                }
            };
            created.push(self.create(object, &Value::Object(fields), &actor, options)?);
        }
        Ok(created)
    }

    /// A random new phone number, for generated updates.
    pub fn random_phone(&self) -> Value {
        let mut rng = lock(&self.rng);
        seed::phone(&mut rng, "United States")
    }

    pub fn admin_actor(&self, origin: String) -> Actor {
        Actor {
            user_id: self.users.first().map(|u| u.id.clone()).unwrap_or_default(),
            origin,
        }
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn tokens(&self) -> MutexGuard<'_, Tokens> {
        lock(&self.tokens)
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Data> {
        self.data.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Data> {
        self.data.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    pub fn update_settings(&self, f: impl FnOnce(&mut Settings)) -> Settings {
        let mut settings = lock(&self.settings);
        f(&mut settings);
        settings.clone()
    }

    // ---- counters and API usage -------------------------------------------------------

    pub fn record_call(&self, endpoint: &str) {
        let mut counters = lock(&self.counters);
        *counters.entry(endpoint.to_string()).or_insert(0) += 1;
    }

    pub fn counters(&self) -> BTreeMap<String, u64> {
        lock(&self.counters).clone()
    }

    pub fn reset_counters(&self) {
        lock(&self.counters).clear();
    }

    /// Counts one API request against the daily allocation.
    pub fn consume_api_call(&self) -> Result<(), ApiError> {
        let mut settings = lock(&self.settings);
        if !settings.edition.api_enabled() {
            return Err(ApiError::ApiDisabled);
        }
        if settings.api_usage >= settings.daily_api_max {
            return Err(ApiError::RequestLimitExceeded);
        }
        settings.api_usage += 1;
        Ok(())
    }

    /// `api-usage=used/max` for the `Sforce-Limit-Info` header.
    pub fn limit_info(&self) -> String {
        let settings = lock(&self.settings);
        format!(
            "api-usage={}/{}",
            settings.api_usage, settings.daily_api_max
        )
    }

    // ---- CDC ----------------------------------------------------------------------------

    /// True when changes of `entity` produce change events.
    pub fn cdc_selected(&self, entity: &str) -> bool {
        let settings = lock(&self.settings);
        settings.edition.cdc_enabled()
            && settings
                .cdc_entities
                .iter()
                .any(|e| e.eq_ignore_ascii_case(entity))
    }

    pub fn transaction_key(&self) -> String {
        cdc::transaction_key(&mut rand::thread_rng())
    }

    /// Publishes one event when the entity is selected; returns its replay id.
    #[allow(clippy::too_many_arguments)]
    pub fn publish(
        &self,
        entity: &str,
        change_type: ChangeType,
        record_ids: Vec<String>,
        changed_fields: Vec<String>,
        body: Map<String, Value>,
        actor: &Actor,
        commit: DateTime<Utc>,
        transaction: Option<&(String, i64)>,
    ) -> Option<i64> {
        if !self.cdc_selected(entity) {
            return None;
        }
        let (transaction_key, sequence_number) = transaction
            .cloned()
            .unwrap_or_else(|| (self.transaction_key(), 1));
        Some(self.events.publish(NewChange {
            entity: entity.to_string(),
            change_type,
            record_ids,
            changed_fields,
            body,
            commit_user: actor.user_id.clone(),
            change_origin: actor.origin.clone(),
            transaction_key,
            sequence_number,
            // The transaction commits now (milliseconds), even when the record's stamp says
            // otherwise (stamps have whole seconds; late commits carry an older stamp).
            commit_timestamp_ms: Utc::now().timestamp_millis().max(commit.timestamp_millis()),
        }))
    }

    // ---- record writes ----------------------------------------------------------------------

    /// Checks reference fields that must point at existing records.
    fn check_references(&self, data: &Data, record: &Record) -> Result<(), ApiError> {
        if let Some(owner) = record.get("OwnerId").and_then(Value::as_str)
            && self.user(owner).is_none()
        {
            return Err(ApiError::InvalidCrossReferenceKey(format!(
                "invalid cross reference id: {owner}"
            )));
        }
        if let Some(who) = record.get("WhoId").and_then(Value::as_str) {
            let exists = [Object::Contact, Object::Lead].into_iter().any(|o| {
                data.record(o, who)
                    .is_some_and(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
            });
            if !exists {
                return Err(ApiError::InvalidCrossReferenceKey(format!(
                    "invalid cross reference id: {who}"
                )));
            }
        }
        Ok(())
    }

    /// Creates a record from an untrusted body; returns the new id.
    pub fn create(
        &self,
        object: Object,
        body: &Value,
        actor: &Actor,
        options: &WriteOptions,
    ) -> Result<String, ApiError> {
        let (record, stamp) = Self::prepare_create(object, body, actor, options)?;
        let (id, body) = {
            let mut data = self.write();
            self.check_references(&data, &record)?;
            Self::insert_new(&mut data, object, record, options)
        };
        if let Some(body) = body {
            self.publish(
                object.name(),
                ChangeType::Create,
                vec![id.clone()],
                Vec::new(),
                body,
                actor,
                stamp,
                options.transaction.as_ref(),
            );
        }
        Ok(id)
    }

    /// Creates several records in order, as one request (sObject Collections): each entry is
    /// the new id or why that record was refused, with the validation of [`Org::create`].
    /// With `all_or_none`, one refusal saves nothing: the refused records keep their error
    /// and the valid ones get `ALL_OR_NONE_OPERATION_ROLLED_BACK`. The changes of one call
    /// share one CDC transaction.
    pub fn create_many(
        &self,
        items: &[Result<(Object, &Value), ApiError>],
        all_or_none: bool,
        actor: &Actor,
    ) -> Vec<Result<String, ApiError>> {
        let key = self.transaction_key();
        let options: Vec<WriteOptions> = (1..=items.len())
            .map(|sequence| WriteOptions {
                transaction: Some((key.clone(), sequence as i64)),
                ..WriteOptions::default()
            })
            .collect();
        let prepared = items
            .iter()
            .zip(&options)
            .map(|(item, options)| {
                let (object, body) = item.clone()?;
                let (record, stamp) = Self::prepare_create(object, body, actor, options)?;
                Ok(NewRecord {
                    object,
                    record,
                    stamp,
                })
            })
            .collect();
        let stored = self.store_all(prepared, all_or_none, &options);
        stored
            .into_iter()
            .zip(&options)
            .map(|(entry, options)| {
                let created = entry?;
                if let Some(body) = created.body {
                    self.publish(
                        created.object.name(),
                        ChangeType::Create,
                        vec![created.id.clone()],
                        Vec::new(),
                        body,
                        actor,
                        created.stamp,
                        options.transaction.as_ref(),
                    );
                }
                Ok(created.id)
            })
            .collect()
    }

    /// Under one write lock, checks the references of every prepared record, then stores the
    /// valid ones, or none when `all_or_none` and one failed (the valid ones then answer
    /// `ALL_OR_NONE_OPERATION_ROLLED_BACK`).
    fn store_all(
        &self,
        prepared: Vec<Result<NewRecord, ApiError>>,
        all_or_none: bool,
        options: &[WriteOptions],
    ) -> Vec<Result<Created, ApiError>> {
        let mut data = self.write();
        let checked: Vec<Result<NewRecord, ApiError>> = prepared
            .into_iter()
            .map(|entry| {
                let new = entry?;
                self.check_references(&data, &new.record)?;
                Ok(new)
            })
            .collect();
        if all_or_none && checked.iter().any(Result::is_err) {
            return checked
                .into_iter()
                .map(|entry| entry.and(Err(ApiError::AllOrNoneRolledBack)))
                .collect();
        }
        checked
            .into_iter()
            .zip(options)
            .map(|(entry, options)| {
                entry.map(|new| {
                    let (id, body) = Self::insert_new(&mut data, new.object, new.record, options);
                    Created {
                        object: new.object,
                        id,
                        body,
                        stamp: new.stamp,
                    }
                })
            })
            .collect()
    }

    /// Everything of a create that needs no lock: the validated record with its defaults,
    /// owner, audit fields and derived fields (no `Id` yet), and its stamp.
    fn prepare_create(
        object: Object,
        body: &Value,
        actor: &Actor,
        options: &WriteOptions,
    ) -> Result<(Record, DateTime<Utc>), ApiError> {
        if object == Object::User {
            return Err(ApiError::Custom {
                status: axum::http::StatusCode::BAD_REQUEST,
                error_code: "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY".into(),
                message: "Users cannot be created in the simulator".into(),
            });
        }
        let fields = records::validate_write(object, body, true)?;
        let stamp = options.stamp.unwrap_or_else(records::now);
        let mut record = records::blank(object);
        for (field, value) in fields {
            record.insert(field.name.to_string(), value);
        }
        let missing = records::missing_required(object, &record);
        if !missing.is_empty() {
            return Err(ApiError::RequiredFieldMissing(missing));
        }
        if record.get("OwnerId").is_none_or(Value::is_null) {
            record.insert("OwnerId".into(), json!(actor.user_id));
        }
        let stamp_text = json!(rest_datetime(stamp));
        for key in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
            record.insert(key.into(), stamp_text.clone());
        }
        record.insert("CreatedById".into(), json!(actor.user_id));
        record.insert("LastModifiedById".into(), json!(actor.user_id));
        records::derive(object, &mut record);
        Ok((record, stamp))
    }

    /// Gives a prepared record its id and stores it (the caller holds the write lock and
    /// has checked its references); the new id and, unless silent, its CDC body.
    fn insert_new(
        data: &mut Data,
        object: Object,
        mut record: Record,
        options: &WriteOptions,
    ) -> (String, Option<Map<String, Value>>) {
        let id = data.new_id(object);
        record.insert("Id".into(), json!(id));
        let body = (!options.silent).then(|| cdc::full_body(object, &record));
        data.table_mut(object)
            .records
            .insert(id.clone(), Arc::new(record));
        (id, body)
    }

    /// Resolves an untrusted id of `object` to its 18-char form. An id that is not an id of
    /// `object` (wrong length or characters, bad case-safe suffix, another object's key
    /// prefix) is `MALFORMED_ID` (400), as Salesforce answers for sobject URLs; a well-formed
    /// id that matches no record is left to the caller (`NOT_FOUND`).
    pub fn resolve_id(object: Object, id: &str) -> Result<String, ApiError> {
        ids::normalize(id)
            .filter(|normalized| normalized.starts_with(object.key_prefix()))
            .ok_or_else(|| ApiError::MalformedId {
                label: format!("{} ID", object.name()),
                field: "Id".into(),
                value: id.to_string(),
            })
    }

    /// A live (not deleted) record.
    pub fn get(&self, object: Object, id: &str) -> Result<Record, ApiError> {
        let id = Self::resolve_id(object, id)?;
        let data = self.read();
        let record = data.record(object, &id).ok_or(ApiError::NotFound)?;
        if record.get("IsDeleted") == Some(&Value::Bool(true)) {
            return Err(ApiError::EntityIsDeleted);
        }
        Ok(record.clone())
    }

    /// Updates a live record from an untrusted body.
    pub fn update(
        &self,
        object: Object,
        id: &str,
        body: &Value,
        actor: &Actor,
        options: &WriteOptions,
    ) -> Result<(), ApiError> {
        let id = Self::resolve_id(object, id)?;
        let fields = records::validate_write(object, body, false)?;
        let stamp = options.stamp.unwrap_or_else(records::now);
        let event = {
            let mut data = self.write();
            let before = data
                .table(object)
                .records
                .get(&id)
                .map(Arc::clone)
                .ok_or(ApiError::NotFound)?;
            if before.get("IsDeleted") == Some(&Value::Bool(true)) {
                return Err(ApiError::EntityIsDeleted);
            }
            let mut after = Record::clone(&before);
            for (field, value) in fields {
                after.insert(field.name.to_string(), value);
            }
            let stamp_text = json!(rest_datetime(stamp));
            after.insert("LastModifiedDate".into(), stamp_text.clone());
            after.insert("SystemModstamp".into(), stamp_text);
            after.insert("LastModifiedById".into(), json!(actor.user_id));
            records::derive(object, &mut after);
            self.check_references(&data, &after)?;
            let event = (!options.silent).then(|| cdc::update_body(object, &before, &after));
            data.table_mut(object)
                .records
                .insert(id.clone(), Arc::new(after));
            event
        };
        if let Some((body, changed)) = event {
            self.publish(
                object.name(),
                ChangeType::Update,
                vec![id],
                changed,
                body,
                actor,
                stamp,
                options.transaction.as_ref(),
            );
        }
        Ok(())
    }

    /// Soft delete: the record goes to the recycle bin (`IsDeleted = true`).
    pub fn delete(
        &self,
        object: Object,
        id: &str,
        actor: &Actor,
        options: &WriteOptions,
    ) -> Result<(), ApiError> {
        let id = Self::resolve_id(object, id)?;
        let stamp = options.stamp.unwrap_or_else(records::now);
        {
            let mut data = self.write();
            let table = data.table_mut(object);
            let record = Arc::make_mut(table.records.get_mut(&id).ok_or(ApiError::NotFound)?);
            if record.get("IsDeleted") == Some(&Value::Bool(true)) {
                return Err(ApiError::EntityIsDeleted);
            }
            let stamp_text = json!(rest_datetime(stamp));
            record.insert("IsDeleted".into(), json!(true));
            record.insert("LastModifiedDate".into(), stamp_text.clone());
            record.insert("SystemModstamp".into(), stamp_text);
            record.insert("LastModifiedById".into(), json!(actor.user_id));
            table.deleted_at.insert(id.clone(), stamp);
        }
        if !options.silent {
            self.publish(
                object.name(),
                ChangeType::Delete,
                vec![id],
                Vec::new(),
                Map::new(),
                actor,
                stamp,
                options.transaction.as_ref(),
            );
        }
        Ok(())
    }

    /// Restores a record from the recycle bin.
    pub fn undelete(&self, object: Object, id: &str, actor: &Actor) -> Result<(), ApiError> {
        let id = Self::resolve_id(object, id)?;
        let stamp = records::now();
        let body = {
            let mut data = self.write();
            let table = data.table_mut(object);
            let record = Arc::make_mut(table.records.get_mut(&id).ok_or(ApiError::NotFound)?);
            if record.get("IsDeleted") != Some(&Value::Bool(true)) {
                return Err(ApiError::Custom {
                    status: axum::http::StatusCode::BAD_REQUEST,
                    error_code: "UNDELETE_FAILED".into(),
                    message: "Entity is not in the recycle bin".into(),
                });
            }
            let stamp_text = json!(rest_datetime(stamp));
            record.insert("IsDeleted".into(), json!(false));
            record.insert("LastModifiedDate".into(), stamp_text.clone());
            record.insert("SystemModstamp".into(), stamp_text);
            record.insert("LastModifiedById".into(), json!(actor.user_id));
            let body = cdc::full_body(object, record);
            table.deleted_at.remove(&id);
            body
        };
        self.publish(
            object.name(),
            ChangeType::Undelete,
            vec![id],
            Vec::new(),
            body,
            actor,
            stamp,
            None,
        );
        Ok(())
    }

    /// Hard delete (emptying the recycle bin): the record is gone; no change event.
    pub fn purge(&self, object: Object, id: &str) -> Result<(), ApiError> {
        let id = Self::resolve_id(object, id)?;
        let mut data = self.write();
        let table = data.table_mut(object);
        table.records.remove(&id).ok_or(ApiError::NotFound)?;
        table.deleted_at.remove(&id);
        Ok(())
    }

    /// Ids of live records whose SystemModstamp is in `[start, end)`.
    pub fn updated_ids(
        &self,
        object: Object,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<String> {
        let data = self.read();
        data.table(object)
            .records
            .iter()
            .filter(|(_, r)| r.get("IsDeleted") != Some(&Value::Bool(true)))
            .filter(|(_, r)| {
                field_datetime(r, "SystemModstamp").is_some_and(|at| at >= start && at < end)
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// (id, deletedDate) of records deleted in `[start, end)` and still in the recycle bin.
    pub fn deleted_in(
        &self,
        object: Object,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<(String, DateTime<Utc>)> {
        let data = self.read();
        data.table(object)
            .deleted_at
            .iter()
            .filter(|(_, at)| **at >= start && **at < end)
            .map(|(id, at)| (id.clone(), *at))
            .collect()
    }

    /// Ids of records of `object` (live ones, or all with `include_deleted`).
    pub fn record_ids(&self, object: Object, include_deleted: bool) -> Vec<String> {
        let data = self.read();
        data.table(object)
            .records
            .iter()
            .filter(|(_, r)| include_deleted || r.get("IsDeleted") != Some(&Value::Bool(true)))
            .map(|(id, _)| id.clone())
            .collect()
    }
}
