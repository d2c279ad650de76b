//! Development aid: `explain_extract FILE.html[.gz]...` prints why the extractor chose its
//! container (dropped chrome, candidate markers).

use std::io::Read;

fn main() -> anyhow::Result<()> {
    for f in std::env::args().skip(1) {
        let mut bytes = Vec::new();
        sapu_eval::open(std::path::Path::new(&f))?.read_to_end(&mut bytes)?;
        let html = sapu::read::decode_html(&bytes, None).0;
        println!("== {f}\n{}", sapu::extract::explain(&html));
    }
    Ok(())
}
