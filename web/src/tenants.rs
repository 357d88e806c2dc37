//! The tenants table: one row per database on the bucket (the scenario's own first), with its
//! client operations and latency, and its prefixes' requests, throttling and dollars, so a
//! hot tenant's throttling shows beside neighbours that are not throttled.

use crate::format;
use crate::widgets::{container, panel, text_element};
use strata_lab::runner::TenantSummary;
use yew::prelude::*;

/// The columns, as headed in the table.
const HEADINGS: [&str; 8] = [
    "database",
    "client ops ok / failed",
    "read p99",
    "write p99",
    "requests",
    "throttled",
    "$ so far",
    "request p99",
];

/// One row's cells, in the order of [`HEADINGS`].
fn cells(row: &TenantSummary) -> [String; 8] {
    let (ok, failed) = row
        .operations
        .values()
        .fold((0, 0), |(ok, failed), c| (ok + c.ok, failed + c.failed));
    let throttled = if row.requests == 0 {
        "0".to_string()
    } else {
        format!(
            "{} ({})",
            format::grouped(row.throttled),
            format::percent(row.throttled as f64 / row.requests as f64)
        )
    };
    let name = match (row.own, row.prefixes.len()) {
        (true, _) => format!("{} (this database)", row.name),
        (false, 0 | 1) => row.name.clone(),
        (false, prefixes) => format!("{} ({prefixes} prefixes)", row.name),
    };
    [
        name,
        format!("{} / {}", format::grouped(ok), format::grouped(failed)),
        format::millis(row.read_latency.p99_ms),
        format::millis(row.write_latency.p99_ms),
        format::grouped(row.requests),
        throttled,
        format::usd(row.cost_usd),
        format::millis(row.store_p99_ms),
    ]
}

/// The panel, or nothing when the scenario has no tenants.
pub fn tenants_panel(rows: &[TenantSummary]) -> Html {
    if rows.is_empty() {
        return html! {};
    }
    html! {
        { panel("panel tenants", "tenants on the bucket", html! { <>
            { text_element("h2", "", "Tenants on the bucket (each prefix is throttled on its own)".into()) }
            <table id="tenants-table">
                { container("thead", "", html! { <>
                    <tr>{ for HEADINGS.iter().map(|h| html! { <th scope="col">{ *h }</th> }) }</tr>
                </> }) }
                { container("tbody", "", html! { <>
                    { for rows.iter().map(|row| {
                        let class = match (row.own, row.throttled > 0) {
                            (false, false) => "tenant-row",
                            (true, false) => "tenant-row own",
                            (false, true) => "tenant-row throttled",
                            (true, true) => "tenant-row own throttled",
                        };
                        html! {
                            <tr key={row.name.clone()} class={class} data-tenant={row.name.clone()}>
                                { for cells(row).into_iter().map(|cell| text_element("td", "", cell.into())) }
                            </tr>
                        }
                    }) }
                </> }) }
            </table>
        </> }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_row_reads_as_the_summary_says() {
        let text = r#"{"name":"hot","own":false,
            "operations":{"get":{"ok":90,"failed":10},"put":{"ok":20,"failed":0}},
            "write_latency":{"count":20,"p50_ms":30.0,"p99_ms":41.5,"p99_9_ms":50.0,"max_ms":60.0},
            "read_latency":{"count":100,"p50_ms":30.0,"p99_ms":253.75,"p99_9_ms":300.0,"max_ms":400.0},
            "lost_durable":0,"requests":2000,"throttled":500,"bytes":1,"cost_usd":0.0186,"store_p99_ms":100.1,
            "prefixes":[{"prefix":"hot-0","requests":1000,"throttled":250,"bytes":0,"cost_usd":0.0093,"p50_ms":20.0,"p99_ms":100.1},
                        {"prefix":"hot-1","requests":1000,"throttled":250,"bytes":1,"cost_usd":0.0093,"p50_ms":20.0,"p99_ms":90.0}]}"#;
        let row: TenantSummary = serde_json::from_str(text).unwrap();
        let cells = cells(&row);
        assert_eq!(cells[0], "hot (2 prefixes)");
        assert_eq!(cells[1], "110 / 10");
        assert_eq!(cells[4], "2,000");
        assert!(cells[5].starts_with("500 ("), "{}", cells[5]);
        assert_eq!(cells[2], format::millis(253.75));
        let own = TenantSummary {
            own: true,
            name: "db".to_string(),
            ..row
        };
        assert_eq!(cells_of(&own), "db (this database)");
    }

    fn cells_of(row: &TenantSummary) -> String {
        cells(row)[0].clone()
    }
}
