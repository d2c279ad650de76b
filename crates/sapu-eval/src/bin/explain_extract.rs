//! Development aid: `explain_extract FILE.html[.gz]...` prints why the extractor chose its
//! container (dropped chrome, candidate markers); `explain_extract FILE --find TEXT` prints
//! where the text nodes holding TEXT sit and why they were or were not written.
//! `explain_extract FILE --text` prints the extracted text (balanced).

use std::io::Read;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let find = args
        .iter()
        .position(|a| a == "--find")
        .and_then(|i| args.get(i + 1));
    for (i, f) in args.iter().enumerate() {
        if f == "--find" || f == "--text" || (i > 0 && args[i - 1] == "--find") {
            continue;
        }
        let mut bytes = Vec::new();
        sapu_eval::open(std::path::Path::new(f))?.read_to_end(&mut bytes)?;
        let html = sapu::read::decode_html(&bytes, None).0;
        match find {
            _ if args.iter().any(|a| a == "--text") => {
                let opts = sapu::extract::ExtractOptions::default();
                match sapu::extract::extract_html(&html, &opts) {
                    Ok(e) => println!("{}", e.text),
                    Err(l) => println!("{l:?}"),
                }
            }
            Some(needle) => print!("{}", sapu::extract::locate(&html, needle)),
            None => println!("== {f}\n{}", sapu::extract::explain(&html)),
        }
    }
    Ok(())
}
