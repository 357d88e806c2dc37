//! A small command-line flag parser: positionals, `--flag value`, `--flag=value` and boolean
//! `--flag`, checked against each command's list of flags, with one-line errors.
//!
//! Hand-written rather than a dependency because the commands are few and their errors must
//! read as one plain line ("unknown flag --hoirzon for `strata bandit simulate`").

use std::collections::BTreeMap;

/// A flag a command accepts.
#[derive(Clone, Copy, Debug)]
pub struct Flag {
    pub name: &'static str,
    pub takes_value: bool,
}

pub const fn value(name: &'static str) -> Flag {
    Flag {
        name,
        takes_value: true,
    }
}

pub const fn switch(name: &'static str) -> Flag {
    Flag {
        name,
        takes_value: false,
    }
}

/// A mistake in how the command was called (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Parsed arguments of one command.
#[derive(Debug, Default)]
pub struct Args {
    pub command: String,
    pub positionals: Vec<String>,
    values: BTreeMap<&'static str, String>,
    switches: Vec<&'static str>,
    pub help: bool,
}

impl Args {
    /// Parses `argv` (after the command words) for `command`, which accepts `flags`.
    pub fn parse(command: &str, argv: &[String], flags: &[Flag]) -> Result<Args, UsageError> {
        let mut args = Args {
            command: command.to_string(),
            ..Args::default()
        };
        let mut iter = argv.iter();
        while let Some(arg) = iter.next() {
            if arg == "--help" || arg == "-h" {
                args.help = true;
                continue;
            }
            let Some(body) = arg.strip_prefix("--") else {
                if arg.starts_with('-') && arg.len() > 1 && arg.parse::<f64>().is_err() {
                    return Err(UsageError(format!(
                        "unknown option {arg} for `strata {command}` (see strata {command} --help)"
                    )));
                }
                args.positionals.push(arg.clone());
                continue;
            };
            let (name, inline) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (body, None),
            };
            let Some(flag) = flags.iter().find(|f| f.name == name) else {
                return Err(UsageError(format!(
                    "unknown flag --{name} for `strata {command}` (see strata {command} --help)"
                )));
            };
            if flag.takes_value {
                let value = match inline {
                    Some(value) => value,
                    None => iter
                        .next()
                        .cloned()
                        .ok_or_else(|| UsageError(format!("--{name} needs a value")))?,
                };
                if args.values.insert(flag.name, value).is_some() {
                    return Err(UsageError(format!("--{name} is given twice")));
                }
            } else {
                if inline.is_some() {
                    return Err(UsageError(format!("--{name} takes no value")));
                }
                if args.switches.contains(&flag.name) {
                    return Err(UsageError(format!("--{name} is given twice")));
                }
                args.switches.push(flag.name);
            }
        }
        Ok(args)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn switch(&self, name: &str) -> bool {
        self.switches.contains(&name)
    }

    /// A flag that must be present.
    pub fn required(&self, name: &str) -> Result<&str, UsageError> {
        self.value(name).ok_or_else(|| {
            UsageError(format!(
                "`strata {}` needs --{name} (see strata {} --help)",
                self.command, self.command
            ))
        })
    }

    /// A flag parsed as `T`, if present.
    pub fn parsed<T: std::str::FromStr>(
        &self,
        name: &str,
        what: &str,
    ) -> Result<Option<T>, UsageError> {
        match self.value(name) {
            None => Ok(None),
            Some(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| UsageError(format!("--{name} must be {what}, got {text:?}"))),
        }
    }

    /// Exactly one positional argument, named `what` in the error.
    pub fn one_positional(&self, what: &str) -> Result<&str, UsageError> {
        match self.positionals.as_slice() {
            [one] => Ok(one),
            [] => Err(UsageError(format!(
                "`strata {}` needs {what} (see strata {} --help)",
                self.command, self.command
            ))),
            [_, extra, ..] => Err(UsageError(format!(
                "unexpected argument {extra:?} for `strata {}`",
                self.command
            ))),
        }
    }

    pub fn no_positionals(&self) -> Result<(), UsageError> {
        match self.positionals.first() {
            None => Ok(()),
            Some(extra) => Err(UsageError(format!(
                "unexpected argument {extra:?} for `strata {}`",
                self.command
            ))),
        }
    }
}

/// Parses a comma-separated list of numbers (`0.5,0.4,0.4`).
pub fn number_list(name: &str, text: &str) -> Result<Vec<f64>, UsageError> {
    text.split(',')
        .map(|part| {
            part.trim().parse::<f64>().map_err(|_| {
                UsageError(format!(
                    "--{name} must be comma-separated numbers, and {:?} is not a number",
                    part.trim()
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    const FLAGS: [Flag; 3] = [value("out"), value("alpha"), switch("quiet")];

    #[test]
    fn flags_positionals_and_inline_values() {
        let args = Args::parse(
            "run",
            &argv(&["a.json", "--out", "s.json", "--alpha=-0.5", "--quiet"]),
            &FLAGS,
        )
        .unwrap();
        assert_eq!(args.one_positional("a file").unwrap(), "a.json");
        assert_eq!(args.value("out"), Some("s.json"));
        assert_eq!(args.parsed::<f64>("alpha", "a number").unwrap(), Some(-0.5));
        assert!(args.switch("quiet"));
        assert!(!args.help);
    }

    #[test]
    fn mistakes_are_one_line_errors() {
        let cases = [
            (vec!["--outt", "x"], "unknown flag --outt"),
            (vec!["--out"], "--out needs a value"),
            (vec!["--out", "a", "--out", "b"], "given twice"),
            (vec!["--quiet=yes"], "takes no value"),
            (vec!["-x"], "unknown option -x"),
        ];
        for (items, expected) in cases {
            let err = Args::parse("run", &argv(&items), &FLAGS)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{items:?}: {err}");
            assert!(!err.contains('\n'));
        }
        let args = Args::parse("run", &argv(&["--alpha", "abc"]), &FLAGS).unwrap();
        assert!(args.parsed::<f64>("alpha", "a number").is_err());
        assert!(args
            .one_positional("SCENARIO.json")
            .unwrap_err()
            .to_string()
            .contains("needs SCENARIO.json"));
        assert_eq!(number_list("means", "0.5, 0.4").unwrap(), vec![0.5, 0.4]);
        assert!(number_list("means", "0.5,,0.4").is_err());
    }
}
