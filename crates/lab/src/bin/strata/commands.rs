//! The commands: each parses its flags, calls the library, and prints JSON to stdout.

use crate::args::{number_list, switch, value, Args, Flag, UsageError};
use std::path::Path;
use strata_lab::Scenario;

/// A command that did not succeed: the one line to print and the exit status.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub status: u8,
}

impl From<UsageError> for Failure {
    fn from(error: UsageError) -> Self {
        Failure {
            message: error.0,
            status: 2,
        }
    }
}

impl Failure {
    pub fn runtime(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            status: 1,
        }
    }
}

type CommandResult = Result<(), Failure>;

const MAIN_HELP: &str = "\
strata: a diskless LSM engine on simulated object storage, and an adaptive recommender

Usage: strata <command> [arguments]

Commands:
  run SCENARIO.json       simulate a scenario and print its JSON summary
  validate SCENARIO.json  check a scenario document and say what is wrong
  explain SCENARIO.json   simulate a scenario and say which operations its requests served
  share SCENARIO.json     print the scenario's share token (for a playground URL)
  chapter CHAPTER.json    run a chapter (and its side-by-side variant), check its claims
  bandit simulate         run a K-armed Bernoulli bandit over seeds, print regret
  bandit linear           run a contextual bandit (LinUCB, linear TS) on CSV data
  ope                     off-policy evaluation of a target policy on a logged CSV

Run `strata <command> --help` for a command's flags. Docs: docs/cli.md, docs/scenarios.md.
";

const RUN_HELP: &str = "\
Usage: strata run SCENARIO.json [--out SUMMARY.json] [--quiet] [--trace-out TRACE.json]
                  [--metrics-out METRICS.csv] [--store URL [--predict]]

Simulates the scenario (seeded, deterministic) and prints the JSON summary: operations by
kind, acknowledged and durable writes, lost durable writes (must be 0), object-store requests
and cost by cause, write/read latency percentiles, write amplification, the final LSM shape
and the trace hash. Exits 1 if any durable write was lost.

  --out FILE   also write the summary to FILE
  --quiet      do not print the summary to stdout (with --out)
  --trace-out FILE    write the trace as Chrome trace-event JSON (open it in
               ui.perfetto.dev or chrome://tracing): the events the trace's
               ring retained, as the playground saves it
  --metrics-out FILE  write the metrics over time as CSV, one row per
               simulated second, as the playground saves it
  --store URL  run in real time against a real store instead of simulating:
               s3://BUCKET/PREFIX (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
               AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ALLOW_HTTP for a
               loopback endpoint), file:///absolute/dir (a local directory,
               fsynced) or memory:// (in process).
               Store faults, bit flips and store setting changes need the
               simulated store and are refused; workload and engine changes
               apply when their time comes.
  --predict    with --store: also simulate the scenario on its store preset,
               and print {summary, prediction, store_vs_prediction} (latency
               p50/p99, requests, $, each with store / predicted); --out still
               writes the store's summary alone
";

const EXPLAIN_HELP: &str = "\
Usage: strata explain SCENARIO.json

Simulates the scenario like `strata run` and prints JSON: every object-store request's cost
attributed to the client operations that caused it (`operations`, by kind: usd, amortised
requests, bytes, operations), the requests no client operation caused (`background`, by
cause), their sum against the run's total, and the 10 slowest operations with the requests
each waited for. The rules are in docs/cli.md.
";

const VALIDATE_HELP: &str = "\
Usage: strata validate SCENARIO.json

Reads and checks the scenario; prints `ok: NAME` or one line saying which field is wrong.
";

const SHARE_HELP: &str = "\
Usage: strata share SCENARIO.json

Prints the scenario's share token (v1. + base64url JSON). The playground opens it with
#s=TOKEN in its URL and reproduces the same run, with the same trace hash.
";

const CHAPTER_HELP: &str = "\
Usage: strata chapter CHAPTER.json

Reads a chapter (web/chapters/NAME.json; docs/chapters.md), runs its scenario and its
variant to the end, and prints JSON: each beat's stopping time and each claim's figure in both
runs. Exits 1, naming the claim, if a claim does not hold.
";

const BANDIT_HELP: &str = "\
Usage: strata bandit <simulate|linear> [flags]

  simulate  K-armed Bernoulli bandit: mean cumulative regret over seeds
  linear    contextual bandit on CSV contexts and rewards

Run `strata bandit simulate --help` or `strata bandit linear --help`.
";

pub fn dispatch(argv: &[String]) -> CommandResult {
    let Some(command) = argv.first() else {
        out(MAIN_HELP.trim_end());
        return Err(UsageError("no command given (see strata --help)".to_string()).into());
    };
    let rest = &argv[1..];
    match command.as_str() {
        "--help" | "-h" | "help" => {
            out(MAIN_HELP.trim_end());
            Ok(())
        }
        "--version" | "-V" => {
            out(&format!("strata {}", env!("CARGO_PKG_VERSION")));
            Ok(())
        }
        "run" => run(rest),
        "validate" => validate(rest),
        "explain" => explain(rest),
        "share" => share(rest),
        "chapter" => chapter(rest),
        "bandit" => match rest.first().map(String::as_str) {
            Some("simulate") => crate::commands::bandit_simulate(&rest[1..]),
            Some("linear") => crate::commands::bandit_linear(&rest[1..]),
            Some("--help" | "-h") | None => {
                out(BANDIT_HELP.trim_end());
                if rest.is_empty() {
                    Err(UsageError("`strata bandit` needs simulate or linear".to_string()).into())
                } else {
                    Ok(())
                }
            }
            Some(other) => Err(UsageError(format!(
                "unknown bandit command {other:?}: expected simulate or linear"
            ))
            .into()),
        },
        "ope" => ope(rest),
        other => Err(UsageError(format!("unknown command {other:?} (see strata --help)")).into()),
    }
}

/// Parses flags, or prints the help and returns `None` when `--help` was given.
fn parse(
    command: &str,
    argv: &[String],
    flags: &[Flag],
    help: &str,
) -> Result<Option<Args>, Failure> {
    let args = Args::parse(command, argv, flags)?;
    if args.help {
        out(help.trim_end());
        return Ok(None);
    }
    Ok(Some(args))
}

/// Prints a line to stdout. A closed pipe (`strata … | head`) is not an error worth a
/// message: the reader has what it wanted.
fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
}

pub fn read_text(path: &str) -> Result<String, Failure> {
    std::fs::read_to_string(Path::new(path))
        .map_err(|e| Failure::runtime(format!("cannot read {path}: {e}")))
}

fn write_text(path: &str, text: &str) -> Result<(), Failure> {
    std::fs::write(Path::new(path), text)
        .map_err(|e| Failure::runtime(format!("cannot write {path}: {e}")))
}

fn load_scenario(path: &str) -> Result<Scenario, Failure> {
    let text = read_text(path)?;
    Scenario::from_json(&text).map_err(|e| Failure::runtime(format!("{path}: {e}")))
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).expect("summaries and reports serialise to JSON")
}

fn run(argv: &[String]) -> CommandResult {
    let flags = [
        value("out"),
        switch("quiet"),
        value("store"),
        switch("predict"),
        value("trace-out"),
        value("metrics-out"),
    ];
    let Some(args) = parse("run", argv, &flags, RUN_HELP)? else {
        return Ok(());
    };
    let path = args.one_positional("SCENARIO.json")?;
    if args.switch("predict") && args.value("store").is_none() {
        return Err(
            UsageError("--predict needs --store (see strata run --help)".to_string()).into(),
        );
    }
    let exports = (args.value("trace-out"), args.value("metrics-out"));
    if args.value("store").is_some() && exports != (None, None) {
        return Err(UsageError(
            "--trace-out and --metrics-out need the simulator, not --store".to_string(),
        )
        .into());
    }
    let scenario = load_scenario(path)?;
    let simulate = || {
        strata_lab::runner::run_scenario(&scenario)
            .map_err(|e| Failure::runtime(format!("{path}: {e}")))
    };
    let summary = match args.value("store") {
        Some(url) => crate::real::run(&scenario, url).map_err(|mut failure| {
            failure.message = format!("{path}: {}", failure.message);
            failure
        })?,
        None if exports != (None, None) => simulate_and_export(&scenario, path, exports)?,
        None => simulate()?,
    };
    let json = to_json(&summary);
    if let Some(out) = args.value("out") {
        write_text(out, &format!("{json}\n"))?;
    }
    let printed = if args.switch("predict") {
        let compared = crate::real::with_prediction(&summary, &simulate()?)
            .map_err(|e| Failure::runtime(format!("{path}: {e}")))?;
        to_json(&compared)
    } else {
        json
    };
    if !args.switch("quiet") {
        out(&printed);
    }
    if summary.writes.lost_durable > 0 {
        return Err(Failure::runtime(format!(
            "{path}: {} acknowledged-durable writes were lost",
            summary.writes.lost_durable
        )));
    }
    if summary.writes.resurrected > 0 {
        return Err(Failure::runtime(format!(
            "{path}: {} read-backs showed a deleted or expired value",
            summary.writes.resurrected
        )));
    }
    Ok(())
}

/// Runs the scenario to its end and writes the exports asked for: the same text the
/// playground saves for the same run.
fn simulate_and_export(
    scenario: &Scenario,
    path: &str,
    (trace_out, metrics_out): (Option<&str>, Option<&str>),
) -> Result<strata_lab::Summary, Failure> {
    let failed = |e: strata_lab::LabError| Failure::runtime(format!("{path}: {e}"));
    // The exports read the trace's ring (the trace export only) and the metrics, not the
    // explain fold.
    let options = strata_lab::LabOptions {
        retain_trace: trace_out.is_some(),
        ..strata_lab::LabOptions::summary_only()
    };
    let mut lab = strata_lab::Lab::with_options(scenario, options).map_err(failed)?;
    let summary = lab.run_to_end().map_err(failed)?;
    if let Some(out) = trace_out {
        write_text(out, &strata_lab::export::lab_chrome_trace_json(&lab))?;
    }
    if let Some(out) = metrics_out {
        write_text(out, &strata_lab::export::lab_metrics_csv(&lab))?;
    }
    Ok(summary)
}

fn explain(argv: &[String]) -> CommandResult {
    let Some(args) = parse("explain", argv, &[], EXPLAIN_HELP)? else {
        return Ok(());
    };
    let path = args.one_positional("SCENARIO.json")?;
    let scenario = load_scenario(path)?;
    let (explanation, _summary) = strata_lab::Lab::new(&scenario)
        .and_then(|mut lab| lab.run_to_explanation())
        .map_err(|e| Failure::runtime(format!("{path}: {e}")))?;
    out(&to_json(&explanation));
    Ok(())
}

fn validate(argv: &[String]) -> CommandResult {
    let Some(args) = parse("validate", argv, &[], VALIDATE_HELP)? else {
        return Ok(());
    };
    let path = args.one_positional("SCENARIO.json")?;
    let scenario = load_scenario(path)?;
    let name = if scenario.name.is_empty() {
        path.to_string()
    } else {
        scenario.name.clone()
    };
    out(&format!("ok: {name}"));
    Ok(())
}

fn share(argv: &[String]) -> CommandResult {
    let Some(args) = parse("share", argv, &[], SHARE_HELP)? else {
        return Ok(());
    };
    let path = args.one_positional("SCENARIO.json")?;
    let scenario = load_scenario(path)?;
    out(&scenario.to_share_token());
    Ok(())
}

fn chapter(argv: &[String]) -> CommandResult {
    let Some(args) = parse("chapter", argv, &[], CHAPTER_HELP)? else {
        return Ok(());
    };
    let path = args.one_positional("CHAPTER.json")?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::runtime(format!("cannot read {path}: {e}")))?;
    let chapter = strata_lab::chapter::Chapter::from_json(&text)
        .map_err(|e| Failure::runtime(format!("{path}: {e}")))?;
    let verified = chapter
        .verify()
        .map_err(|e| Failure::runtime(format!("{path}: {e}")))?;
    let report = serde_json::json!({
        "title": chapter.title,
        "beats_ms": verified.beat_times.iter().map(|t| t.as_millis_f64()).collect::<Vec<_>>(),
        "claims": verified.figures.iter().map(|(figure, base, variant)| serde_json::json!({
            "figure": figure, "base": base, "variant": variant,
        })).collect::<Vec<_>>(),
    });
    out(&serde_json::to_string_pretty(&report).expect("a report serialises"));
    Ok(())
}

const SIMULATE_HELP: &str = "\
Usage: strata bandit simulate --means 0.5,0.4,... --horizon T --seeds N
                              --policy ts|ucb1|egreedy|softmax|klucb
                              [--alpha A] [--epsilon E] [--tau T]
                              [--rewards-table FILE] [--decisions FILE] [--first-seed S]

Runs a K-armed Bernoulli bandit for T steps under N seeds and prints JSON: the mean
cumulative regret with a 95% interval over the seeds, the Lai-Robbins and UCB1 reference
bounds, and decisions per second (wall time, measured here).

  --means          Bernoulli means, one per arm (optional with --rewards-table)
  --horizon        steps T (default: the rewards table's row count)
  --seeds          number of seeds (default 10), seeds S..S+N-1
  --first-seed     S (default 1)
  --policy         ts, ucb1, egreedy, softmax or klucb (default ts)
  --alpha          UCB1's exploration factor: bonus alpha*sqrt(2 ln N / n_a) (default 1)
  --epsilon        epsilon-greedy's exploration rate (default 0.1)
  --tau            softmax temperature (default 0.1)
  --rewards-table  CSV of T rows x K columns; the reward of arm a at step t is read from it
  --decisions      write the arm chosen at each step (one column per seed) to FILE
";

const LINEAR_HELP: &str = "\
Usage: strata bandit linear --contexts X.csv --rewards R.csv --policy linucb|lints
                            [--alpha A] [--ridge-lambda L] [--seed S] [--decisions FILE]

Plays T rounds of a contextual bandit: at round t the policy sees row t of X (d features),
chooses an arm a and receives R[t][a]. Prints JSON with the cumulative regret against the
best reward of each row, the pulls per arm, and decisions per second.

  --contexts      CSV of T rows x d features
  --rewards       CSV of T rows x K rewards
  --policy        linucb or lints (default linucb)
  --alpha         LinUCB's bonus width (default 1) or LinTS's posterior scale (default 0.5)
  --ridge-lambda  ridge regularisation (default 1)
  --seed          seed for LinTS's draws (default 1)
  --decisions     write the arm chosen at each step to FILE
";

const OPE_HELP: &str = "\
Usage: strata ope --log LOG.csv --target PI.csv [--reward-model Q.csv]
                  [--clip LAMBDA] [--switch-tau TAU] [--dros-lambda LAMBDA]

Off-policy evaluation: estimates the value of a target policy from a logged CSV and prints
JSON with each estimator (replay, IPS, SNIPS, DM, DR, SNDR, Switch-DR, DR-OS), its value and
its 95% interval (mean +- 1.96 sd / sqrt(n)).

  --log           columns action,reward,propensity and optionally position (0-based)
  --target        pi(a | position): one row per action, one column per position; each
                  column sums to 1
  --reward-model  q(a, position), the same shape as the target (needed by DM and the DR family)
  --clip          clip IPS weights at LAMBDA (> 0)
  --switch-tau    Switch-DR threshold TAU (>= 0)
  --dros-lambda   shrinkage LAMBDA of DR with optimistic shrinkage (>= 0)
";

fn recommender_failure(error: strata_recommender::RecommenderError) -> Failure {
    Failure::runtime(error.to_string())
}

/// Fills in decisions per second: the one figure that needs wall time, so the binary and not
/// the library measures it.
fn with_rate(
    mut summary: serde_json::Value,
    decisions: u64,
    elapsed_secs: f64,
) -> serde_json::Value {
    let rate = if elapsed_secs > 0.0 {
        serde_json::json!(decisions as f64 / elapsed_secs)
    } else {
        serde_json::Value::Null
    };
    if let Some(object) = summary.as_object_mut() {
        object.insert("decisions_per_second".to_string(), rate);
        object.insert("elapsed_secs".to_string(), serde_json::json!(elapsed_secs));
    }
    summary
}

/// Wall-clock seconds taken by `work`.
fn timed<T>(work: impl FnOnce() -> T) -> (T, f64) {
    let clock = crate::wall::Stopwatch::start();
    let value = work();
    (value, clock.elapsed_secs())
}

pub fn bandit_simulate(argv: &[String]) -> CommandResult {
    let flags = [
        value("means"),
        value("horizon"),
        value("seeds"),
        value("first-seed"),
        value("policy"),
        value("alpha"),
        value("epsilon"),
        value("tau"),
        value("rewards-table"),
        value("decisions"),
    ];
    let Some(args) = parse("bandit simulate", argv, &flags, SIMULATE_HELP)? else {
        return Ok(());
    };
    args.no_positionals()?;
    let defaults = strata_recommender::BanditSimulateArgs::default();
    let means = match args.value("means") {
        Some(text) => number_list("means", text)?,
        None => Vec::new(),
    };
    let rewards_table = match args.value("rewards-table") {
        Some(path) => Some(read_text(path)?),
        None => None,
    };
    if means.is_empty() && rewards_table.is_none() {
        return Err(UsageError(
            "`strata bandit simulate` needs --means or --rewards-table (see --help)".to_string(),
        )
        .into());
    }
    let request = strata_recommender::BanditSimulateArgs {
        means,
        horizon: args.parsed("horizon", "a whole number of steps")?,
        seeds: args
            .parsed("seeds", "a whole number of seeds")?
            .unwrap_or(defaults.seeds),
        first_seed: args
            .parsed("first-seed", "a whole number")?
            .unwrap_or(defaults.first_seed),
        policy: args.value("policy").unwrap_or(&defaults.policy).to_string(),
        alpha: args.parsed("alpha", "a number")?,
        epsilon: args.parsed("epsilon", "a number")?,
        tau: args.parsed("tau", "a number")?,
        rewards_table,
        record_decisions: args.value("decisions").is_some(),
    };
    let (report, elapsed) = timed(|| strata_recommender::bandit_simulate_report(&request));
    let report = report.map_err(recommender_failure)?;
    if let Some(path) = args.value("decisions") {
        let csv = report
            .decisions_csv()
            .ok_or_else(|| Failure::runtime("the simulation kept no decisions"))?;
        write_text(path, &csv)?;
    }
    let summary = with_rate(report.summary, report.decisions_made, elapsed);
    out(&to_json(&summary));
    Ok(())
}

pub fn bandit_linear(argv: &[String]) -> CommandResult {
    let flags = [
        value("contexts"),
        value("rewards"),
        value("policy"),
        value("alpha"),
        value("ridge-lambda"),
        value("seed"),
        value("decisions"),
    ];
    let Some(args) = parse("bandit linear", argv, &flags, LINEAR_HELP)? else {
        return Ok(());
    };
    args.no_positionals()?;
    let defaults = strata_recommender::BanditLinearArgs::default();
    let contexts_path = args.required("contexts")?;
    let rewards_path = args.required("rewards")?;
    let request = strata_recommender::BanditLinearArgs {
        contexts_csv: read_text(contexts_path)?,
        rewards_csv: read_text(rewards_path)?,
        policy: args.value("policy").unwrap_or(&defaults.policy).to_string(),
        alpha: args.parsed("alpha", "a number")?,
        ridge_lambda: args.parsed("ridge-lambda", "a number")?,
        seed: args
            .parsed("seed", "a whole number")?
            .unwrap_or(defaults.seed),
        record_decisions: args.value("decisions").is_some(),
    };
    let (report, elapsed) = timed(|| strata_recommender::bandit_linear_report(&request));
    let report = report.map_err(recommender_failure)?;
    if let Some(path) = args.value("decisions") {
        let csv = report
            .decisions_csv()
            .ok_or_else(|| Failure::runtime("the run kept no decisions"))?;
        write_text(path, &csv)?;
    }
    let summary = with_rate(report.summary, report.decisions_made, elapsed);
    out(&to_json(&summary));
    Ok(())
}

fn ope(argv: &[String]) -> CommandResult {
    let flags = [
        value("log"),
        value("target"),
        value("reward-model"),
        value("clip"),
        value("switch-tau"),
        value("dros-lambda"),
    ];
    let Some(args) = parse("ope", argv, &flags, OPE_HELP)? else {
        return Ok(());
    };
    args.no_positionals()?;
    // Check every flag before touching a file, so usage mistakes come first.
    let (log_path, target_path) = (args.required("log")?, args.required("target")?);
    let log = read_text(log_path)?;
    let target = read_text(target_path)?;
    let reward_model = match args.value("reward-model") {
        Some(path) => Some(read_text(path)?),
        None => None,
    };
    let options = strata_recommender::OpeOptions {
        clip: args.parsed("clip", "a number")?,
        switch_tau: args.parsed("switch-tau", "a number")?,
        dros_lambda: args.parsed("dros-lambda", "a number")?,
    };
    let report = strata_recommender::ope_from_csv(&log, &target, reward_model.as_deref(), &options)
        .map_err(recommender_failure)?;
    out(&to_json(&report));
    Ok(())
}
