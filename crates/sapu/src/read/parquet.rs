//! Parquet files in the layout Hugging Face datasets and sapu's own Parquet output use: one row
//! per record, a string text column, an id column, every other column carried into metadata.

use std::fs::File;
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::Value;

use super::json::into_record;
use super::{Record, Source};

/// Read every row of a Parquet file, in order. A file that is not Parquet, or a row group that
/// cannot be decoded, is named with the row where reading stopped; rows before it are kept.
pub(super) fn read(source: &Source, path: &Path, sink: &mut dyn FnMut(Record)) {
    let reader = match File::open(path).map_err(|e| e.to_string()).and_then(|f| {
        SerializedFileReader::new(f).map_err(|e| format!("not a readable Parquet file: {e}"))
    }) {
        Ok(r) => r,
        Err(message) => {
            sink(source.bad(None, None, "corrupt_parquet", message, None));
            return;
        }
    };
    let rows = match reader.get_row_iter(None) {
        Ok(rows) => rows,
        Err(e) => {
            sink(source.bad(
                None,
                None,
                "corrupt_parquet",
                format!("cannot read the Parquet schema: {e}"),
                None,
            ));
            return;
        }
    };
    for (index, row) in rows.enumerate() {
        let number = Some(index as u64 + 1);
        match row {
            Ok(row) => {
                let value = with_metadata_object(row.to_json_value());
                sink(into_record(source, value, number, None, &|| {
                    value_bytes_for_quarantine(&row)
                }));
            }
            Err(e) => {
                sink(source.bad(
                    number,
                    None,
                    "corrupt_parquet",
                    format!(
                        "row {} cannot be decoded ({e}); rows before it were kept",
                        index + 1
                    ),
                    None,
                ));
                return;
            }
        }
    }
}

fn value_bytes_for_quarantine(row: &parquet::record::Row) -> Vec<u8> {
    row.to_json_value().to_string().into_bytes()
}

/// sapu's Parquet output stores `metadata` as a JSON string column (Parquet has no schema-free
/// map); reading it back restores the object, so a Parquet run's output is a valid input.
fn with_metadata_object(mut value: Value) -> Value {
    if let Some(Value::String(text)) = value.get("metadata") {
        if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) {
            value["metadata"] = Value::Object(map);
        }
    }
    value
}

/// Every row of a Parquet file as a JSON object (the report reads Parquet parts with it).
pub fn rows_as_json(path: &Path, mut each: impl FnMut(Value)) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader = SerializedFileReader::new(file).map_err(|e| format!("{}: {e}", path.display()))?;
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for row in rows {
        let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
        each(with_metadata_object(row.to_json_value()));
    }
    Ok(())
}
