//! What a panel asks the root component to do with the session. Panels never touch the
//! session themselves: they send a [`Command`], the root applies it and shows the outcome
//! (or the reason it was refused) in the message bar.

use strata_lab::scenario::{FaultSpec, RecommenderSpec, SettingChange};
use strata_lab::{Control, Scenario};

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// A workload, engine or store change applied now and recorded into the scenario at the
    /// current simulated millisecond (in the link).
    Live(Control),
    /// A fault written into the scenario at the current moment (in the link).
    Inject(FaultSpec),
    /// Take the setting change at this position out of the scenario; the run re-simulates to
    /// the current moment without it.
    RemoveChange(usize, SettingChange),
    /// Take the fault at this position out of the scenario, likewise.
    RemoveFault(usize, FaultSpec),
    /// A new recommender section (or none), written into the scenario; the run re-simulates
    /// to the current moment.
    SetRecommender(Option<RecommenderSpec>),
    /// Replace the scenario (an imported file or an example) and restart from zero.
    Load {
        scenario: Box<Scenario>,
        source: String,
    },
    /// Show a message (a panel refused an input before sending anything).
    Refused(String),
    /// Show a confirmation.
    Info(String),
}
