//! The commands: each parses its flags, calls the library, and prints JSON to stdout.

use crate::args::{switch, value, Args, Flag, UsageError};
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
  share SCENARIO.json     print the scenario's share token (for a playground URL)
  bandit simulate         run a K-armed Bernoulli bandit over seeds, print regret
  bandit linear           run a contextual bandit (LinUCB, linear TS) on CSV data
  ope                     off-policy evaluation of a target policy on a logged CSV

Run `strata <command> --help` for a command's flags. Docs: docs/cli.md, docs/scenarios.md.
";

const RUN_HELP: &str = "\
Usage: strata run SCENARIO.json [--out SUMMARY.json] [--quiet]

Simulates the scenario (seeded, deterministic) and prints the JSON summary: operations by
kind, acknowledged and durable writes, lost durable writes (must be 0), object-store requests
and cost by cause, write/read latency percentiles, write amplification, the final LSM shape
and the trace hash. Exits 1 if any durable write was lost.

  --out FILE   also write the summary to FILE
  --quiet      do not print the summary to stdout (with --out)
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

const BANDIT_HELP: &str = "\
Usage: strata bandit <simulate|linear> [flags]

  simulate  K-armed Bernoulli bandit: mean cumulative regret over seeds
  linear    contextual bandit on CSV contexts and rewards

Run `strata bandit simulate --help` or `strata bandit linear --help`.
";

pub fn dispatch(argv: &[String]) -> CommandResult {
    let Some(command) = argv.first() else {
        print!("{MAIN_HELP}");
        return Err(UsageError("no command given (see strata --help)".to_string()).into());
    };
    let rest = &argv[1..];
    match command.as_str() {
        "--help" | "-h" | "help" => {
            print!("{MAIN_HELP}");
            Ok(())
        }
        "--version" | "-V" => {
            println!("strata {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        "run" => run(rest),
        "validate" => validate(rest),
        "share" => share(rest),
        "bandit" => match rest.first().map(String::as_str) {
            Some("simulate") => crate::commands::bandit_simulate(&rest[1..]),
            Some("linear") => crate::commands::bandit_linear(&rest[1..]),
            Some("--help" | "-h") | None => {
                print!("{BANDIT_HELP}");
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
        print!("{help}");
        return Ok(None);
    }
    Ok(Some(args))
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
    let Some(args) = parse("run", argv, &[value("out"), switch("quiet")], RUN_HELP)? else {
        return Ok(());
    };
    let path = args.one_positional("SCENARIO.json")?;
    let scenario = load_scenario(path)?;
    let summary = strata_lab::runner::run_scenario(&scenario)
        .map_err(|e| Failure::runtime(format!("{path}: {e}")))?;
    let json = to_json(&summary);
    if let Some(out) = args.value("out") {
        write_text(out, &format!("{json}\n"))?;
    }
    if !args.switch("quiet") {
        println!("{json}");
    }
    if summary.writes.lost_durable > 0 {
        return Err(Failure::runtime(format!(
            "{path}: {} acknowledged-durable writes were lost",
            summary.writes.lost_durable
        )));
    }
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
    println!("ok: {name}");
    Ok(())
}

fn share(argv: &[String]) -> CommandResult {
    let Some(args) = parse("share", argv, &[], SHARE_HELP)? else {
        return Ok(());
    };
    let path = args.one_positional("SCENARIO.json")?;
    let scenario = load_scenario(path)?;
    println!("{}", scenario.to_share_token());
    Ok(())
}

pub fn bandit_simulate(_argv: &[String]) -> CommandResult {
    Err(Failure::runtime(
        "bandit simulate is not available in this build yet",
    ))
}

pub fn bandit_linear(_argv: &[String]) -> CommandResult {
    Err(Failure::runtime(
        "bandit linear is not available in this build yet",
    ))
}

fn ope(_argv: &[String]) -> CommandResult {
    Err(Failure::runtime("ope is not available in this build yet"))
}
