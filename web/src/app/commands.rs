//! What a panel's [`Command`] does to the session, and the message that reports it: a live
//! change applied at once, a fault, a removal or recommender settings written into the
//! scenario and re-simulated to the current moment, a scenario loaded, or the reason nothing
//! changed. No browser code, so it is tested natively.

use super::{error, info, Action};
use crate::command::Command;
use crate::format;
use crate::session::Session;
use strata_lab::LabError;
use strata_sim::SimTime;

/// Applies a panel's command to the session. Returns the action that reports the outcome and
/// whether a rebuild started.
pub fn apply(session: &mut Session, command: Command) -> (Option<Action>, bool) {
    let now = format::sim_time(session.now());
    match command {
        Command::Live(control) => match session.apply_live(control) {
            Ok(()) => (Some(Action::Message(None)), false),
            Err(e) => (
                Some(error(format!(
                    "That change was refused and the run goes on unchanged: {e}"
                ))),
                false,
            ),
        },
        Command::Inject(fault) => {
            let kind = crate::format::underscores_as(fault.kind(), ' ');
            match session.inject_into_scenario(fault) {
                Ok(()) => (
                    Some(info(format!(
                        "Injected {kind} at {now}, written into the scenario; re-simulating to {now}…"
                    ))),
                    true,
                ),
                Err(e) => (
                    Some(error(format!(
                        "The {kind} fault was refused and the run goes on unchanged: {e}"
                    ))),
                    false,
                ),
            }
        }
        Command::RemoveChange(index, change) => {
            let what = format!(
                "the {} change at {}",
                change.section(),
                format::sim_time(SimTime::from_millis(change.at_ms()))
            );
            removal(session.remove_change(index, &change), &what, &now)
        }
        Command::RemoveFault(index, fault) => {
            let what = format!("the fault “{}”", crate::chaos::describe(&fault));
            removal(session.remove_fault(index, &fault), &what, &now)
        }
        Command::SetRecommender(spec) => {
            let mut scenario = session.scenario().clone();
            scenario.recommender = spec;
            match session.change_scenario_here(scenario) {
                Ok(()) => (
                    Some(info(format!(
                        "Recommender settings written into the scenario; re-simulating to {now}…"
                    ))),
                    true,
                ),
                Err(e) => (
                    Some(error(format!(
                        "The recommender settings were refused and the run goes on unchanged: {e}"
                    ))),
                    false,
                ),
            }
        }
        Command::Load { scenario, source } => {
            let name = scenario.name.clone();
            match session.restart(*scenario) {
                Ok(()) => (
                    Some(info(format!(
                        "Loaded “{name}” from {source}; the run starts at 0 s."
                    ))),
                    false,
                ),
                Err(e) => (
                    Some(error(format!(
                        "{source} could not start ({e}); the run goes on unchanged."
                    ))),
                    false,
                ),
            }
        }
        Command::Refused(text) => (Some(error(text)), false),
        Command::Info(text) => (Some(info(text)), false),
    }
}

/// Reports a removal from the scenario: a rebuild to `now` started, or why nothing changed.
fn removal(result: Result<(), LabError>, what: &str, now: &str) -> (Option<Action>, bool) {
    match result {
        Ok(()) => (
            Some(info(format!(
                "Removed {what} from the scenario; re-simulating to {now}…"
            ))),
            true,
        ),
        Err(e) => (
            Some(error(format!(
                "Could not remove {what}, and the run goes on unchanged: {e}"
            ))),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Message;
    use crate::link;
    use strata_sim::SimDuration;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn commands_report_refusals_without_touching_the_run() {
        let mut session = Session::new(link::default_scenario()).unwrap();
        session
            .advance(SimDuration::from_millis(500), u64::MAX)
            .unwrap();
        let before = session.lab().trace().hash_hex();
        let (action, rebuilding) = apply(
            &mut session,
            Command::Inject(strata_lab::scenario::FaultSpec::Recover { at_ms: 0 }),
        );
        assert!(!rebuilding);
        match action {
            Some(Action::Message(Some(Message { error: true, text }))) => {
                assert!(text.contains("recover"), "{text}")
            }
            _ => panic!("a refusal should be reported as an error message"),
        }
        assert_eq!(session.lab().trace().hash_hex(), before);
        let (_, rebuilding) = apply(
            &mut session,
            Command::Inject(strata_lab::scenario::FaultSpec::CrashWriter {
                at_ms: 0,
                recover_after_ms: Some(200),
            }),
        );
        assert!(rebuilding);
        session.finish_rebuild().unwrap();
        assert_eq!(session.scenario().faults.len(), 1);
    }
}
