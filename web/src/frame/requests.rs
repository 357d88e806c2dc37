//! What a panel asks of the whole run rather than draws from a frame: a request's cause
//! chain and a client operation's requests (the run's explain fold, in the worker), and the
//! run's exports (the trace as Perfetto JSON, the metrics as CSV, rebuilt by the worker). The
//! off-policy evaluation comes with the frames while the recommender tab is open.
//!
//! Answers are asynchronous: a question asked for the first time is sent, the panel shows
//! that it is looking, and the answer, when it comes, is kept (a few at most, by the run they
//! are about) and the page redraws.

use crate::app::run_view::SharedRun;
use crate::app::{Action, UiState};
use crate::worker::host;
use crate::worker::protocol::{ExportKind, Reply, Request};
use std::cell::RefCell;
use std::rc::Rc;
use strata_sim::RequestRecord;
use yew::{Callback, UseReducerDispatcher};

/// Answers kept: the chains and operations a reader clicked through lately.
pub const MAX_KEPT_ANSWERS: usize = 16;

/// A client operation and the requests it waited for, as the timeline shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationDetail {
    pub line: String,
    /// `requests`, `wal`, `memory` or `nothing` (see `strata_lab::explain::SlowOperation`).
    pub waited_for: &'static str,
    pub requests: Vec<String>,
}

/// An answer, or the question on its way.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer<T> {
    Waiting,
    Ready(T),
}

/// A request's cause chain: lines to show, and the client operation it leads to.
pub type Chain = (Vec<String>, Option<u64>);

/// Answers kept by (run, number).
type Kept<T> = Vec<((u64, u64), Answer<T>)>;

#[derive(Default)]
struct Answers {
    /// Bumped by every answer, so a panel holding these requests redraws.
    version: u64,
    /// By (run, request sequence number).
    chains: Kept<Chain>,
    /// By (run, operation number).
    operations: Kept<Option<OperationDetail>>,
}

fn keep<K: PartialEq, T>(list: &mut Vec<(K, T)>, key: K, value: T) {
    list.retain(|(k, _)| *k != key);
    if list.len() == MAX_KEPT_ANSWERS {
        list.remove(0);
    }
    list.push((key, value));
}

/// The questions the panels ask of the run. Equal when it is the same run and no answer
/// came between the two (see [`Requests::current`]).
#[derive(Clone)]
pub struct Requests {
    run: SharedRun,
    dispatcher: UseReducerDispatcher<UiState>,
    answers: Rc<RefCell<Answers>>,
    /// The answers' version when this handle was taken.
    version: u64,
}

impl std::fmt::Debug for Requests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Requests")
    }
}

impl PartialEq for Requests {
    fn eq(&self, other: &Self) -> bool {
        self.run == other.run && self.version == other.version
    }
}

impl Requests {
    pub fn new(run: SharedRun, dispatcher: UseReducerDispatcher<UiState>) -> Self {
        Requests {
            run,
            dispatcher,
            answers: Rc::default(),
            version: 0,
        }
    }

    /// These requests as of now: unequal to a handle taken before the last answer came.
    pub fn current(&self) -> Requests {
        Requests {
            version: self.answers.borrow().version,
            ..self.clone()
        }
    }

    fn run_number(&self) -> u64 {
        self.run.frame().map_or(0, |frame| frame.run)
    }

    /// The cause chain of the request numbered `seq` (`record` as the timeline has it).
    pub fn request_chain(&self, seq: u64, record: &RequestRecord) -> Answer<Chain> {
        let key = (self.run_number(), seq);
        if let Some((_, answer)) = self.answers.borrow().chains.iter().find(|(k, _)| *k == key) {
            return answer.clone();
        }
        keep(&mut self.answers.borrow_mut().chains, key, Answer::Waiting);
        let (answers, dispatcher) = (self.answers.clone(), self.dispatcher.clone());
        host::send(
            Request::Explain {
                seq,
                record: Box::new(record.clone()),
            },
            Callback::from(move |reply: Reply| {
                let answer = match reply {
                    Reply::Explained { lines, operation } => (lines, operation),
                    // The worker's own message, not the reply's `Debug`: that would link the
                    // derived `Debug` of every message and of the whole frame into the page.
                    Reply::Refused(message) | Reply::Panicked(message) => {
                        (vec![format!("The run could not say: {message}")], None)
                    }
                    _ => (vec!["The run could not say.".to_string()], None),
                };
                let mut answers = answers.borrow_mut();
                keep(&mut answers.chains, key, Answer::Ready(answer));
                answers.version += 1;
                drop(answers);
                dispatcher.dispatch(Action::Redraw);
            }),
        );
        Answer::Waiting
    }

    /// Client operation `number` and the requests it waited for, while the explain fold
    /// still holds it.
    pub fn operation(&self, number: u64) -> Answer<Option<OperationDetail>> {
        let key = (self.run_number(), number);
        if let Some((_, answer)) = self
            .answers
            .borrow()
            .operations
            .iter()
            .find(|(k, _)| *k == key)
        {
            return answer.clone();
        }
        keep(
            &mut self.answers.borrow_mut().operations,
            key,
            Answer::Waiting,
        );
        let (answers, dispatcher) = (self.answers.clone(), self.dispatcher.clone());
        host::send(
            Request::Operation { number },
            Callback::from(move |reply: Reply| {
                let answer = match reply {
                    Reply::Operation(detail) => detail,
                    _ => None,
                };
                let mut answers = answers.borrow_mut();
                keep(&mut answers.operations, key, Answer::Ready(answer));
                answers.version += 1;
                drop(answers);
                dispatcher.dispatch(Action::Redraw);
            }),
        );
        Answer::Waiting
    }

    /// An export of the run on show, as the worker is asked for it: the run's scenario (with
    /// its live changes and faults) and the moment to rebuild it to.
    pub fn export(&self, kind: ExportKind) -> Option<Request> {
        let frame = self.run.frame()?;
        Some(Request::Export {
            kind,
            scenario: frame.scenario.to_json(),
            events: frame.time.events_processed,
            at_ns: frame.time.now.as_nanos(),
        })
    }
}
