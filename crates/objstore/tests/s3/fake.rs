//! `IgnoringServer`: a tiny HTTP server on 127.0.0.1 that speaks just enough S3 (an empty
//! LIST, PUT, DELETE and bulk delete) and ignores `If-None-Match` and `If-Match`, as some S3-compatible
//! servers do. It keeps the objects it was sent, so a test can check what an open left
//! behind.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// The server's objects, by request path (`/bucket/key`).
pub type Objects = Arc<Mutex<BTreeMap<String, Vec<u8>>>>;

pub struct IgnoringServer {
    pub url: String,
    pub objects: Objects,
    /// Every request, as `METHOD path`.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl IgnoringServer {
    /// Starts serving on a free loopback port, on a thread that lives as long as the test
    /// process.
    pub fn start() -> IgnoringServer {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let objects: Objects = Arc::default();
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let (served_objects, served_requests) = (objects.clone(), requests.clone());
        std::thread::spawn(move || {
            for (count, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let _ = serve(stream, count, &served_objects, &served_requests);
            }
        });
        IgnoringServer {
            url,
            objects,
            requests,
        }
    }
}

/// Answers one request and closes the connection.
fn serve(
    stream: TcpStream,
    count: usize,
    objects: &Objects,
    requests: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; content_length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let path = target.split('?').next().unwrap_or_default().to_string();
    requests.lock().unwrap().push(format!("{method} {path}"));
    let (status, headers, payload) = match method.as_str() {
        "GET" if target.contains("list-type=2") => (
            "200 OK",
            String::new(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>b</Name>\
             <KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>\
             </ListBucketResult>"
                .to_string(),
        ),
        "PUT" => {
            objects.lock().unwrap().insert(path, body);
            (
                "200 OK",
                format!("ETag: \"etag-{count}\"\r\n"),
                String::new(),
            )
        }
        // object_store deletes through the bulk API: POST /bucket?delete with <Key>s.
        "POST" if target.contains("delete") => {
            let text = String::from_utf8_lossy(&body).into_owned();
            let mut deleted = String::new();
            for piece in text.split("<Key>").skip(1) {
                let key = piece.split("</Key>").next().unwrap_or_default();
                objects.lock().unwrap().remove(&format!("{path}/{key}"));
                deleted.push_str(&format!("<Deleted><Key>{key}</Key></Deleted>"));
            }
            (
                "200 OK",
                String::new(),
                format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult>{deleted}</DeleteResult>"),
            )
        }
        "DELETE" => {
            objects.lock().unwrap().remove(&path);
            ("204 No Content", String::new(), String::new())
        }
        _ => ("400 Bad Request", String::new(), String::new()),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    )?;
    stream.flush()
}
