//! `cargo xtask serve`: builds `dist/` (warning, not failing, when the wasm is over its
//! budget) and serves it on 127.0.0.1 with a small static file
//! server (one thread per connection; the playground is a handful of files).

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

pub const DEFAULT_PORT: u16 = 8080;

pub fn run(args: &[String]) -> Result<()> {
    let port = match crate::flag_value(args, "--port") {
        Some(text) => text
            .parse::<u16>()
            .with_context(|| format!("--port takes a number from 1 to 65535, not `{text}`"))?,
        None => DEFAULT_PORT,
    };
    let dist = if crate::has_flag(args, "--skip-build") {
        crate::workspace_root().join("dist")
    } else {
        // Serving is for looking at the page: over the budget it warns, `dist` fails.
        let built = crate::dist::build(&[])?;
        if let Err(over) =
            crate::dist::check_budget(built.wasm_gzip_bytes, crate::dist::WASM_GZIP_BUDGET_BYTES)
        {
            eprintln!("xtask: warning: {over}");
        }
        built.dir
    };
    let listener = bind(port)?;
    println!("Strata playground: http://127.0.0.1:{port}/  (Ctrl-C to stop)");
    serve_forever(listener, dist);
    Ok(())
}

/// Binds 127.0.0.1:port, turning "address in use" into a message that names the fix.
pub fn bind(port: u16) -> Result<TcpListener> {
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(listener) => Ok(listener),
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
            bail!("port {port} is already in use; pass another with `cargo xtask serve --port N`")
        }
        Err(error) => Err(error).with_context(|| format!("binding 127.0.0.1:{port}")),
    }
}

/// Serves files under `root` until the process ends.
pub fn serve_forever(listener: TcpListener, root: PathBuf) {
    for stream in listener.incoming().flatten() {
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = handle(stream, &root);
        });
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn handle(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; the server needs none of them.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let mut stream = stream;
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            405,
            "text/plain",
            b"method not allowed",
            method == "HEAD",
        );
    }
    let relative = path.trim_start_matches('/');
    let relative = if relative.is_empty() {
        "index.html"
    } else {
        relative
    };
    if relative
        .split('/')
        .any(|segment| segment == ".." || segment.is_empty())
    {
        return respond(&mut stream, 400, "text/plain", b"bad path", false);
    }
    let file = root.join(relative);
    match std::fs::read(&file) {
        Ok(body) => respond(
            &mut stream,
            200,
            content_type(&file),
            &body,
            method == "HEAD",
        ),
        Err(_) => respond(
            &mut stream,
            404,
            "text/plain",
            b"not found",
            method == "HEAD",
        ),
    }
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    // Cross-origin isolation (the page loads nothing from elsewhere) gives the page
    // performance.now() and frame timestamps at 5 µs instead of 100 µs, so the frame-time
    // benchmark can tell a 16.7 ms frame from a 16.8 ms one. The page's module worker
    // (`worker.js`) is same-origin and gets the same headers, which `require-corp` asks of a
    // worker's script; a module script also needs a JavaScript content type (above).
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nCross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}
