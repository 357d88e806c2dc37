//! Tenants: other databases on the scenario's bucket, each under its own prefix with its own
//! workload, beside the scenario's own database.
//!
//! The store meters and throttles each prefix on its own (S3 Standard sustains 3,500 PUT/s and
//! 5,500 GET/s per prefix), so a hot tenant is throttled while a quiet one beside it is not. A
//! tenant spread over several prefixes (`prefixes`) runs one database per prefix, `NAME-0`,
//! `NAME-1`, …, each taking an equal share of its rate and its key space: the way a user
//! shards a hot tenant over more of S3's request budget.
//!
//! Tenants share the scenario's engine options, store, store faults and setting changes of
//! the store; writer events, live controls and the recommender act on the scenario's own
//! database only.

use super::{check_count, invalid, item, json, member, ScenarioError, WorkloadSpec};
use serde::Serialize;

/// The most tenants in one scenario.
pub const MAX_TENANTS: usize = 16;
/// The most prefixes (databases) one tenant is spread over.
pub const MAX_TENANT_PREFIXES: u32 = 16;
/// The longest tenant name.
pub const MAX_TENANT_NAME_BYTES: usize = 32;

/// One tenant: a name (its prefix in the bucket), its workload, and how many prefixes it is
/// spread over.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TenantSpec {
    /// Lowercase letters, digits and `-`, starting with a letter or a digit.
    pub name: String,
    pub workload: WorkloadSpec,
    /// Databases (one per prefix) the tenant is spread over; 1 by default.
    #[serde(skip_serializing_if = "is_one")]
    pub prefixes: u32,
}

fn is_one(value: &u32) -> bool {
    *value == 1
}

impl TenantSpec {
    /// Writes the tenant as the derived `Serialize` does (see [`json::Writer`]).
    pub(crate) fn write_json(&self, w: &mut json::Writer) {
        w.begin_object();
        w.key("name").string(&self.name);
        w.key("workload");
        self.workload.write_json(w);
        if !is_one(&self.prefixes) {
            w.key("prefixes").u64(self.prefixes.into());
        }
        w.end_object();
    }
}

json::deserialize_with_reader! {
    TenantSpec => TenantSpec::from_value;
}

impl TenantSpec {
    /// Reads a tenant from its JSON object (see [`json`]): `name` is required.
    pub(crate) fn from_value(value: serde_json::Value) -> Result<TenantSpec, json::Error> {
        json::section(value, "struct TenantSpec", |object| {
            let mut name = None;
            let mut tenant = TenantSpec::new("", WorkloadSpec::default());
            json::fields(
                object,
                &["name", "workload", "prefixes"],
                &mut |index, value| {
                    match index {
                        0 => name = Some(json::string(value)?),
                        1 => tenant.workload = WorkloadSpec::from_value(value)?,
                        _ => tenant.prefixes = json::u32(value)?,
                    }
                    Ok(())
                },
            )?;
            tenant.name = json::required(name, "name")?;
            Ok(tenant)
        })
    }

    /// A tenant on one prefix.
    pub fn new(name: &str, workload: WorkloadSpec) -> TenantSpec {
        TenantSpec {
            name: name.to_string(),
            workload,
            prefixes: 1,
        }
    }

    /// The bucket prefix of each of its databases: the name itself on one prefix, `NAME-0`,
    /// `NAME-1`, … on several.
    pub fn paths(&self) -> Vec<String> {
        if self.prefixes <= 1 {
            return vec![self.name.clone()];
        }
        // A loop, not `map` and `collect`, whose instances the page had for this list alone.
        let mut paths = Vec::with_capacity(self.prefixes as usize);
        for shard in 0..self.prefixes {
            paths.push(format!("{}-{shard}", self.name));
        }
        paths
    }

    /// The workload each of its databases runs: an equal share of the rate, the in-flight
    /// limit and the key space.
    pub fn shard_workload(&self) -> WorkloadSpec {
        let shards = self.prefixes.max(1);
        WorkloadSpec {
            rate_ops_per_sec: self.workload.rate_ops_per_sec / f64::from(shards),
            key_count: (self.workload.key_count / u64::from(shards)).max(1),
            max_in_flight: (self.workload.max_in_flight / shards).max(1),
            ..self.workload.clone()
        }
    }
}

/// The first `/`-separated segment of a path: the prefix the store meters and throttles.
fn first_segment(path: &str) -> &str {
    path.split('/').next().unwrap_or(path)
}

/// Checks the tenants of a scenario whose own database lives under `own_path`: names,
/// counts, prefixes that collide with each other or with the scenario's own database, and
/// each workload (its errors name the tenant: `tenants[1].workload.rate_ops_per_sec`).
pub(super) fn check_tenants(tenants: &[TenantSpec], own_path: &str) -> Result<(), ScenarioError> {
    check_count("tenants", tenants.len(), MAX_TENANTS)?;
    let own = first_segment(own_path);
    let mut taken: Vec<(String, usize)> = Vec::new();
    for (index, tenant) in tenants.iter().enumerate() {
        let field = item("tenants", index);
        check_name(&member(&field, "name"), &tenant.name)?;
        if tenant.prefixes == 0 || tenant.prefixes > MAX_TENANT_PREFIXES {
            return Err(invalid(
                member(&field, "prefixes"),
                format!("{} is outside 1 to {MAX_TENANT_PREFIXES}", tenant.prefixes),
            ));
        }
        if tenant.workload.key_count < u64::from(tenant.prefixes) {
            return Err(invalid(
                member(&field, "workload.key_count"),
                format!(
                    "{} keys cannot be spread over {} prefixes; use at least one key per prefix",
                    tenant.workload.key_count, tenant.prefixes
                ),
            ));
        }
        tenant.workload.validate().map_err(|error| match error {
            ScenarioError::Invalid {
                field: inner,
                reason,
            } => ScenarioError::Invalid {
                field: member(&field, &inner),
                reason,
            },
            other => other,
        })?;
        for path in tenant.paths() {
            if path == own {
                return Err(invalid(
                    member(&field, "name"),
                    format!(
                        "the prefix {path:?} is the scenario's own database's (engine.path); pick another name"
                    ),
                ));
            }
            if let Some((_, other)) = taken.iter().find(|(taken, _)| *taken == path) {
                return Err(invalid(
                    member(&field, "name"),
                    format!("the prefix {path:?} is already tenants[{other}]'s"),
                ));
            }
            taken.push((path, index));
        }
    }
    Ok(())
}

fn check_name(field: &str, name: &str) -> Result<(), ScenarioError> {
    let well_formed = !name.is_empty()
        && name.len() <= MAX_TENANT_NAME_BYTES
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-');
    if well_formed {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!(
                "{name:?} is not a tenant name: use 1 to {MAX_TENANT_NAME_BYTES} lowercase letters, digits and '-', starting with a letter or a digit"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn refusal(result: Result<(), ScenarioError>) -> (String, String) {
        match result.unwrap_err() {
            ScenarioError::Invalid { field, reason } => (field, reason),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_spread_tenant_has_one_prefix_and_an_equal_share_per_database() {
        let mut tenant = TenantSpec::new("hot", WorkloadSpec::default());
        assert_eq!(tenant.paths(), vec!["hot"]);
        assert_eq!(tenant.shard_workload(), tenant.workload);
        tenant.prefixes = 4;
        tenant.workload.rate_ops_per_sec = 8000.0;
        tenant.workload.key_count = 10_001;
        assert_eq!(tenant.paths(), vec!["hot-0", "hot-1", "hot-2", "hot-3"]);
        let shard = tenant.shard_workload();
        assert_eq!(shard.rate_ops_per_sec, 2000.0);
        assert_eq!(shard.key_count, 2500);
        assert_eq!(shard.max_in_flight, 256);
        assert_eq!(shard.mix, tenant.workload.mix);
    }

    #[test]
    fn names_prefixes_and_workloads_are_checked_and_errors_name_the_tenant() {
        let ok = TenantSpec::new("quiet", WorkloadSpec::default());
        assert!(check_tenants(std::slice::from_ref(&ok), "db").is_ok());

        let bad_name = TenantSpec::new("Hot!", WorkloadSpec::default());
        let (field, reason) = refusal(check_tenants(&[bad_name], "db"));
        assert_eq!(field, "tenants[0].name");
        assert!(reason.contains("lowercase"), "{reason}");

        let own = TenantSpec::new("db", WorkloadSpec::default());
        let (_, reason) = refusal(check_tenants(&[own], "db/main"));
        assert!(reason.contains("engine.path"), "{reason}");

        let mut spread = TenantSpec::new("hot", WorkloadSpec::default());
        spread.prefixes = 2;
        let clash = TenantSpec::new("hot-1", WorkloadSpec::default());
        let (field, reason) = refusal(check_tenants(&[spread.clone(), clash], "db"));
        assert_eq!(field, "tenants[1].name");
        assert!(reason.contains("tenants[0]"), "{reason}");

        spread.prefixes = 0;
        let (field, _) = refusal(check_tenants(&[spread.clone()], "db"));
        assert_eq!(field, "tenants[0].prefixes");
        spread.prefixes = 3;
        spread.workload.key_count = 2;
        let (field, _) = refusal(check_tenants(&[spread], "db"));
        assert_eq!(field, "tenants[0].workload.key_count");

        let mut slow = ok.clone();
        slow.workload.rate_ops_per_sec = -1.0;
        let (field, _) = refusal(check_tenants(&[ok.clone(), slow], "db"));
        assert_eq!(field, "tenants[1].workload.rate_ops_per_sec");

        let many: Vec<TenantSpec> = (0..=MAX_TENANTS)
            .map(|i| TenantSpec::new(&format!("t{i}"), WorkloadSpec::default()))
            .collect();
        let (field, _) = refusal(check_tenants(&many, "db"));
        assert_eq!(field, "tenants");
    }
}
