//! What a panel asks of the whole run rather than draws from a frame: a request's cause
//! chain and a client operation's requests (the run's explain fold), the off-policy
//! evaluation over the impression log, and the run's exports (the trace as Perfetto JSON,
//! the metrics as CSV). The simulation side answers each; today that is a function call on
//! the session, and every such question goes through [`Requests`].

use crate::ope::{OpeCache, OpeResult};
use crate::session::Session;
use crate::timeline::{brief_line, chain_lines, operation_line};
use std::cell::RefCell;
use std::rc::Rc;
use strata_sim::RequestRecord;

/// A client operation and the requests it waited for, as the timeline shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationDetail {
    pub line: String,
    /// `requests`, `wal`, `memory` or `nothing` (see `strata_lab::explain::SlowOperation`).
    pub waited_for: &'static str,
    pub requests: Vec<String>,
}

/// The questions the panels ask of the run. Equal when it is the same session.
#[derive(Clone)]
pub struct Requests {
    session: Rc<RefCell<Session>>,
    ope: Rc<RefCell<OpeCache>>,
}

impl std::fmt::Debug for Requests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Requests")
    }
}

impl PartialEq for Requests {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.session, &other.session)
    }
}

impl Requests {
    pub fn new(session: Rc<RefCell<Session>>) -> Self {
        Requests {
            session,
            ope: Rc::new(RefCell::new(OpeCache::default())),
        }
    }

    /// The cause chain of the request numbered `seq` (`record` as the timeline has it):
    /// lines to show, and the client operation it leads to, if any.
    pub fn request_chain(&self, seq: u64, record: &RequestRecord) -> (Vec<String>, Option<u64>) {
        let session = self.session.borrow();
        let explainer = session.lab().explainer();
        chain_lines(&explainer, seq, record)
    }

    /// Client operation `number` and the requests it waited for, while the explain fold
    /// still holds it.
    pub fn operation(&self, number: u64) -> Option<OperationDetail> {
        let session = self.session.borrow();
        let explainer = session.lab().explainer();
        let op = explainer
            .slowest()
            .iter()
            .find(|op| op.number == number)
            .or_else(|| explainer.operation(number))?;
        Some(OperationDetail {
            line: operation_line(op),
            waited_for: op.waited_for,
            requests: op.requests.iter().map(brief_line).collect(),
        })
    }

    /// The off-policy evaluation of uniform random serving over the impression log, brought
    /// up to date at most once a second of wall time (`wall_ms`): the result, or why there
    /// is none.
    pub fn off_policy(&self, wall_ms: f64) -> (Option<Rc<OpeResult>>, Option<String>) {
        let mut cache = self.ope.borrow_mut();
        cache.refresh(&self.session.borrow(), wall_ms);
        (cache.result.clone(), cache.error.clone())
    }

    /// An export of the run on show, as the worker is asked for it: the run's scenario (with
    /// its live changes and faults) and the moment to rebuild it to.
    pub fn export(
        &self,
        kind: crate::worker::protocol::ExportKind,
    ) -> crate::worker::protocol::Request {
        let session = self.session.borrow();
        crate::worker::protocol::Request::Export {
            kind,
            scenario: session.scenario().to_json(),
            events: session.lab().events_processed(),
            at_ns: session.now().as_nanos(),
        }
    }
}
