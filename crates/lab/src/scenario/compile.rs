//! The compile step: a parsed [`Scenario`] becomes a [`RunPlan`], every value in the type its
//! owner runs with, or a [`ScenarioError`] that names the field.
//!
//! This is the one validation. `strata validate`, `strata run`, share links and the playground
//! all come through [`Scenario::compile`] ([`Scenario::validate`] and [`Scenario::from_json`]
//! call it too), so what validates runs, with the same message everywhere. The order:
//! 1. the document's own ranges, section by section (each section's `validate`);
//! 2. each owner checks the value it will run with, once: the engine its `DbOptions` (the
//!    scenario's, then every engine change's), the simulated store its `SimStoreConfig`
//!    (likewise) and every store fault, the recommender its log, population, guardrails and
//!    policy. The ranges catch most values with the field named; this catches what only an
//!    owner knows (the engine's 16 MiB block cap, say);
//! 3. the resource budget ([`crate::budget`]).

use super::translate::{engine_options_unchecked, store_config, store_fault};
use super::{
    item, member, EngineSpec, FaultSpec, Scenario, ScenarioError, SettingChange, StoreSpec,
    WorkloadSpec,
};
use crate::recommender::LoopPlan;
use strata_engine::DbOptions;
use strata_objstore::sim::FaultSpec as StoreFaultSpec;
use strata_objstore::SimStoreConfig;
use strata_recommender::log::RecommenderLoop;

/// A scenario compiled: what the runner runs. Every value has passed its owner's check.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPlan {
    /// The document it was compiled from (its name, seed, duration and workload; what a
    /// share link carries).
    pub scenario: Scenario,
    /// The first writer's engine options.
    pub engine: DbOptions,
    /// The simulated store's configuration at the start.
    pub store: SimStoreConfig,
    /// Faults and writer events, in document order.
    pub faults: Vec<PlannedFault>,
    /// Setting changes, in document order.
    pub changes: Vec<PlannedChange>,
    /// The recommender loop, when the scenario runs one.
    pub recommender: Option<LoopPlan>,
    /// The tenants' databases, each with its bucket prefix and workload, in document order.
    pub tenant_databases: Vec<TenantDatabase>,
}

/// One database of a tenant: the tenant's name, the bucket prefix it lives under, and the
/// share of the tenant's workload it runs.
#[derive(Clone, Debug, PartialEq)]
pub struct TenantDatabase {
    pub tenant: String,
    pub path: String,
    pub workload: WorkloadSpec,
}

/// A fault of the scenario, as the runner uses it.
#[derive(Clone, Debug, PartialEq)]
pub enum PlannedFault {
    /// A store fault with its window: it goes into the simulated store's schedule.
    Store(StoreFaultSpec),
    /// A writer event or a one-shot fault (a bit flip), applied at its time by the runner.
    Event(FaultSpec),
}

/// A setting change of the scenario, as the runner applies it.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedChange {
    /// The change as the document writes it.
    pub change: SettingChange,
    /// Its new setting, checked by its owner.
    pub setting: PlannedSetting,
}

/// The new setting of a change.
#[derive(Clone, Debug, PartialEq)]
pub enum PlannedSetting {
    Workload(WorkloadSpec),
    Engine(DbOptions),
    Store(SimStoreConfig),
}

/// An owner's refusal, with the field it concerns: "engine: the engine refuses it: …".
fn refused(field: String, owner: &str, error: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::Invalid {
        field,
        reason: format!("the {owner} refuses it: {error}"),
    }
}

/// An engine section's options, checked by the engine.
fn engine_checked(field: String, spec: &EngineSpec) -> Result<DbOptions, ScenarioError> {
    let options = engine_options_unchecked(spec);
    options
        .validate()
        .map_err(|e| refused(field, "engine", e))?;
    Ok(options)
}

/// A store section's configuration, checked by the simulated store.
fn store_checked(field: String, spec: &StoreSpec) -> Result<SimStoreConfig, ScenarioError> {
    let config = store_config(spec);
    config
        .validate()
        .map_err(|e| refused(field, "simulated store", e))?;
    Ok(config)
}

/// The recommender section's plan, checked by the recommender.
fn recommender_checked(spec: &super::RecommenderSpec) -> Result<LoopPlan, ScenarioError> {
    let plan = crate::recommender::plan(spec)
        .map_err(|e| refused("recommender.log".to_string(), "recommender", e))?;
    RecommenderLoop::check_rate(spec.population.slates_per_sec).map_err(|e| {
        refused(
            "recommender.population.slates_per_sec".to_string(),
            "recommender",
            e,
        )
    })?;
    let config = &plan.config;
    config
        .population
        .validate()
        .map_err(|e| refused("recommender.population".to_string(), "recommender", e))?;
    config
        .guardrails
        .validate()
        .map_err(|e| refused("recommender.guardrails".to_string(), "recommender", e))?;
    // One arm is enough to check every parameter without sizing a model by the catalogue.
    config
        .policy
        .build(1)
        .map_err(|e| refused("recommender.policy".to_string(), "recommender", e))?;
    Ok(plan)
}

impl Scenario {
    /// Compiles the scenario into the plan a run follows: its ranges, then each owner's
    /// check, then the resource budget (see the module's documentation). The one validation.
    pub fn compile(&self) -> Result<RunPlan, ScenarioError> {
        self.check_fields()?;
        let engine = engine_checked("engine".to_string(), &self.engine)?;
        let mut change_engines = Vec::new();
        for (index, change) in self.changes.iter().enumerate() {
            if let SettingChange::Engine { engine, .. } = change {
                let field = member(&item("changes", index), "engine");
                change_engines.push(engine_checked(field, engine)?);
            }
        }
        let store = store_checked("store".to_string(), &self.store)?;
        let mut change_stores = Vec::new();
        for (index, change) in self.changes.iter().enumerate() {
            if let SettingChange::Store { store, .. } = change {
                let field = member(&item("changes", index), "store");
                change_stores.push(store_checked(field, store)?);
            }
        }
        let mut faults = Vec::with_capacity(self.faults.len());
        for (index, fault) in self.faults.iter().enumerate() {
            faults.push(match store_fault(fault) {
                Some(spec) => {
                    spec.validate()
                        .map_err(|e| refused(item("faults", index), "simulated store", e))?;
                    PlannedFault::Store(spec)
                }
                None => PlannedFault::Event(fault.clone()),
            });
        }
        let recommender = match &self.recommender {
            Some(spec) => Some(recommender_checked(spec)?),
            None => None,
        };
        crate::budget::check(self)?;
        let mut change_engines = change_engines.into_iter();
        let mut change_stores = change_stores.into_iter();
        let changes = self
            .changes
            .iter()
            .map(|change| PlannedChange {
                change: change.clone(),
                setting: match change {
                    SettingChange::Workload { workload, .. } => {
                        PlannedSetting::Workload(workload.clone())
                    }
                    SettingChange::Engine { .. } => PlannedSetting::Engine(
                        change_engines
                            .next()
                            .expect("one checked engine per engine change"),
                    ),
                    SettingChange::Store { .. } => PlannedSetting::Store(
                        change_stores
                            .next()
                            .expect("one checked store per store change"),
                    ),
                },
            })
            .collect();
        // Loops, not `flat_map` and `collect`, whose instances the page had for this alone.
        let mut tenant_databases = Vec::new();
        for tenant in &self.tenants {
            let workload = tenant.shard_workload();
            for path in tenant.paths() {
                tenant_databases.push(TenantDatabase {
                    tenant: tenant.name.clone(),
                    path,
                    workload: workload.clone(),
                });
            }
        }
        Ok(RunPlan {
            scenario: self.clone(),
            engine,
            store,
            faults,
            changes,
            recommender,
            tenant_databases,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_plan_holds_each_value_in_its_owners_type_in_document_order() {
        let mut scenario = Scenario::playground();
        scenario.faults = vec![
            FaultSpec::CrashWriter {
                at_ms: 5000,
                recover_after_ms: Some(1000),
            },
            FaultSpec::Outage {
                from_ms: 100,
                until_ms: 200,
            },
        ];
        let engine = EngineSpec {
            memtable_bytes: Some(512 * 1024),
            ..scenario.engine.clone()
        };
        scenario.changes = vec![
            SettingChange::Engine {
                at_ms: 3000,
                engine,
            },
            SettingChange::Workload {
                at_ms: 1000,
                workload: WorkloadSpec::default(),
            },
        ];
        let plan = scenario.compile().unwrap();
        assert_eq!(plan.engine.memtable_bytes, 128 * 1024);
        assert_eq!(plan.store, store_config(&scenario.store));
        assert!(matches!(
            plan.faults.as_slice(),
            [
                PlannedFault::Event(FaultSpec::CrashWriter { .. }),
                PlannedFault::Store(_)
            ]
        ));
        match &plan.changes[0].setting {
            PlannedSetting::Engine(options) => assert_eq!(options.memtable_bytes, 512 * 1024),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            plan.changes[1].setting,
            PlannedSetting::Workload(_)
        ));
        assert_eq!(plan.recommender.unwrap().slates_per_sec, 10.0);
        assert_eq!(plan.scenario, scenario);
    }
}
