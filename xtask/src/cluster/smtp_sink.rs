//! The local cluster's mail server: a minimal SMTP sink on loopback that accepts every mail
//! and writes it to a file (`<n>.eml`, headed by the envelope's recipients), so a person or
//! the chaos run can read what penora sent. Plain SMTP without TLS or AUTH, as lettre
//! speaks it to an `smtp://host:port` URL.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Serves forever on `port`, writing mails into `dir`.
pub fn serve(port: u16, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let counter = Arc::new(AtomicU64::new(0));
    for stream in listener.incoming().flatten() {
        let (dir, counter) = (dir.to_owned(), counter.clone());
        std::thread::spawn(move || {
            if let Err(err) = session(stream, &dir, &counter) {
                eprintln!("smtp sink: {err}");
            }
        });
    }
    Ok(())
}

fn session(stream: TcpStream, dir: &Path, counter: &AtomicU64) -> anyhow::Result<()> {
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 penora-sink ESMTP\r\n")?;
    let mut recipients: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = match command.split(' ').next().unwrap_or_default() {
            "EHLO" => b"250-penora-sink\r\n250 8BITMIME\r\n",
            "HELO" | "NOOP" | "MAIL" => b"250 OK\r\n",
            "RSET" => {
                recipients.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                recipients.push(
                    line.trim_end()
                        .get(8..)
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                );
                b"250 OK\r\n"
            }
            "DATA" => {
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let body = read_data(&mut lines)?;
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let file = mail_path(dir, n);
                let head = format!("X-Sink-Recipients: {}\r\n", recipients.join(", "));
                std::fs::write(&file, head + &body)?;
                recipients.clear();
                b"250 OK queued\r\n"
            }
            "QUIT" => {
                out.write_all(b"221 Bye\r\n")?;
                return Ok(());
            }
            _ => b"502 Command not implemented\r\n",
        };
        out.write_all(reply)?;
    }
}

/// The message up to the lone `.` line, with dot-stuffing undone.
fn read_data(lines: &mut impl BufRead) -> anyhow::Result<String> {
    let mut body = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            anyhow::bail!("connection closed inside DATA");
        }
        if line.trim_end_matches(['\r', '\n']) == "." {
            return Ok(body);
        }
        body.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

fn mail_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{}-{n:05}.eml", std::process::id()))
}
