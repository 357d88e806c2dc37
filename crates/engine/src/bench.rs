//! Placeholder for the benchmark workloads (filled in below once the SimStore lands).
