//! Round trips of both dataset formats, part directories and the refusals of the reader.

use super::*;
use crate::dataset::*;
use crate::error::Error;
use arrow::array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fs::File;

fn sample_images(n: usize) -> ImageDataset {
    let meta = ImageMeta {
        height: 3,
        width: 2,
        channels: 1,
        classes: vec!["a".into(), "b".into()],
        source: "test".into(),
    };
    ImageDataset {
        labels: (0..n as i32).map(|i| i % 2).collect(),
        images: (0..n * 6).map(|i| (i * 7 % 256) as u8).collect(),
        paths: Some((0..n).map(|i| format!("img{i}.png")).collect()),
        meta,
    }
}

#[test]
fn image_dataset_round_trips_as_file_and_directory() {
    let dir = tempfile::tempdir().unwrap();
    let ds = sample_images(25);
    let file = dir.path().join("one.parquet");
    assert_eq!(ds.write(&file, None).unwrap(), WriteSummary { rows: 25, files: 1 });
    assert_eq!(read_image_dataset(&file).unwrap(), ds);

    let parts = dir.path().join("parts");
    assert_eq!(ds.write(&parts, Some(10)).unwrap(), WriteSummary { rows: 25, files: 3 });
    assert_eq!(list_parts(&parts).unwrap().len(), 3);
    assert_eq!(read_image_dataset(&parts).unwrap(), ds);
    assert!(matches!(read_any_dataset(&parts).unwrap(), AnyDataset::Image(_)));
    // Only the two targets: no temporary leftovers.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

/// Rows big enough that a dataset spans many row groups, written in odd-sized batches:
/// the groups, encoded in parallel, come back in order.
#[test]
fn many_row_groups_encoded_in_parallel_keep_the_row_order() {
    let dir = tempfile::tempdir().unwrap();
    let meta = ImageMeta {
        height: 256,
        width: 512,
        channels: 1,
        classes: vec!["a".into(), "b".into(), "c".into()],
        source: "test".into(),
    };
    let n = 300;
    let len = meta.image_len();
    let ds = ImageDataset {
        labels: (0..n as i32).map(|i| i % 3).collect(),
        images: (0..n * len)
            .map(|i| ((i / len) as u8).wrapping_mul(31) ^ (i % 251) as u8)
            .collect(),
        paths: None,
        meta,
    };
    let file = dir.path().join("big.parquet");
    let mut w = DatasetWriter::create(&file, image_schema(&ds.meta, false), None).unwrap();
    for start in (0..n).step_by(7) {
        w.write(&ds.to_batch(start, (start + 7).min(n)).unwrap()).unwrap();
    }
    assert_eq!(w.finish().unwrap().rows, n);
    let groups = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).unwrap())
        .unwrap()
        .metadata()
        .num_row_groups();
    assert!(groups > rayon::current_num_threads(), "{groups} row groups");
    assert_eq!(read_image_dataset(&file).unwrap(), ds);
}

#[test]
fn the_same_rows_make_the_same_bytes_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let ds = sample_images(1000);
    let write = |name: &str, threads: usize| {
        let path = dir.path().join(name);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| ds.write(&path, None).unwrap());
        std::fs::read(path).unwrap()
    };
    let one = write("one.parquet", 1);
    assert_eq!(write("three.parquet", 3), one);
    // And from outside any pool, as the stages write.
    let path = dir.path().join("outside.parquet");
    ds.write(&path, None).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), one);
}

#[test]
fn image_sizes_that_overflow_are_refused() {
    // 2⁶³+392 × 2 × 1 wraps to 784, the byte length of the real column.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wraps.parquet");
    let meta = ImageMeta {
        height: 28,
        width: 28,
        channels: 1,
        classes: vec!["a".into()],
        source: "t".into(),
    };
    let schema = image_schema(&meta, false);
    let mut md = schema.metadata().clone();
    md.insert(HEIGHT_KEY.to_string(), (usize::MAX / 2 + 1 + 392).to_string());
    md.insert(WIDTH_KEY.to_string(), "2".to_string());
    let schema = std::sync::Arc::new(arrow::datatypes::Schema::new_with_metadata(
        schema.fields().clone(),
        md,
    ));
    let batch = RecordBatch::new_empty(schema.clone());
    write_batches(&path, schema, &[batch], None).unwrap();
    let e = read_image_dataset(&path).unwrap_err().to_string();
    assert!(e.contains("too large for one Parquet value"), "{e}");
}

#[test]
fn parts_whose_metadata_disagree_are_not_one_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let parts = dir.path().join("parts");
    sample_images(4).write(&parts, Some(2)).unwrap();
    // A part of other-sized images, with the same columns, dropped in beside them.
    let mut other = sample_images(2);
    (other.meta.height, other.meta.width) = (2, 3);
    other.write(&dir.path().join("other.parquet"), None).unwrap();
    std::fs::rename(dir.path().join("other.parquet"), parts.join("part-00009.parquet")).unwrap();
    let e = DatasetReader::open(&parts).err().expect("mixed parts are refused").to_string();
    assert!(e.contains("part-00009.parquet has a different schema or metadata"), "{e}");
}

#[test]
fn feature_dataset_round_trips_with_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let meta = FeatureMeta {
        dim: 4,
        classes: vec!["x".into(), "y".into(), "z".into()],
        source: "unit".into(),
        params: Some(FeatureParams::Pixels(PixelFeatures {
            scale: "1/255".into(),
            height: 2,
            width: 2,
            channels: 1,
            order: "row-major HxWxC".into(),
            dim: 4,
        })),
    };
    let ds = FeatureDataset {
        labels: vec![0, 2, 1],
        features: (0..12).map(|i| i as f32 * 0.5).collect(),
        meta,
    };
    let file = dir.path().join("f.parquet");
    ds.write(&file, None).unwrap();
    let back = read_feature_dataset(&file).unwrap();
    assert_eq!(back, ds);
    assert_eq!(back.row(1), &[2.0, 2.5, 3.0, 3.5]);
    let err = read_image_dataset(&file).unwrap_err().to_string();
    assert!(err.contains("f.parquet") && err.contains("height"), "{err}");
}

#[test]
fn missing_dataset_and_empty_directory_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = format!("{:#}", read_image_dataset(&dir.path().join("nope.parquet")).unwrap_err());
    assert!(err.contains("nope.parquet"), "{err}");
    let err = format!("{:#}", read_image_dataset(dir.path()).unwrap_err());
    assert!(err.contains("holds no .parquet files"), "{err}");
    std::fs::write(dir.path().join("bad.parquet"), b"not parquet").unwrap();
    let err = format!("{:#}", read_image_dataset(dir.path()).unwrap_err());
    assert!(err.contains("bad.parquet") && err.contains("not a readable Parquet file"), "{err}");
}

#[test]
fn empty_dataset_is_a_valid_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut ds = sample_images(0);
    ds.paths = None;
    let file = dir.path().join("empty.parquet");
    assert_eq!(ds.write(&file, None).unwrap().rows, 0);
    assert_eq!(read_image_dataset(&file).unwrap(), ds);
}

#[test]
fn a_reader_of_one_shard_yields_its_rows_across_part_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let ds = sample_images(10);
    let parts = dir.path().join("parts");
    ds.write(&parts, Some(4)).unwrap(); // parts of 4, 4 and 2 rows
    let rows_of = |shard: &str, batch_rows: usize| -> (usize, usize, Vec<i32>, Vec<u8>) {
        let r = DatasetReader::open_with_batch_rows(&parts, batch_rows)
            .unwrap()
            .shard(shard.parse().unwrap());
        let (first, n) = (r.first_row(), r.rows());
        let mut labels = Vec::new();
        let mut images = Vec::new();
        for b in r {
            let b = b.unwrap();
            labels.extend(batch_labels(&b, &parts).unwrap());
            images.extend_from_slice(batch_images(&b, &parts).unwrap());
        }
        (first, n, labels, images)
    };
    // 1/3 of 10 rows is rows 3..6: the end of part 0 and the start of part 1.
    let (first, n, labels, images) = rows_of("1/3", 3);
    assert_eq!((first, n), (3, 3));
    assert_eq!(labels, ds.labels[3..6]);
    assert_eq!(images, ds.images[3 * 6..6 * 6]);
    // The shards, concatenated, are the dataset, whatever the batch size.
    for batch_rows in [1, 2, 5, 100] {
        let mut all = Vec::new();
        for k in 0..4 {
            all.extend(rows_of(&format!("{k}/4"), batch_rows).3);
        }
        assert_eq!(all, ds.images, "batch rows {batch_rows}");
    }
}

#[test]
fn shard_writers_make_one_dataset_and_drop_the_parts_of_a_larger_count() {
    let dir = tempfile::tempdir().unwrap();
    let ds = sample_images(10);
    let out = dir.path().join("sharded");
    let write = |count: usize| {
        for index in 0..count {
            let shard = crate::Shard { index, count };
            let range = shard.range(10);
            let mut w =
                DatasetWriter::create_shard(&out, image_schema(&ds.meta, true), None, shard)
                    .unwrap();
            w.write(&ds.to_batch(range.start, range.end).unwrap()).unwrap();
            w.finish().unwrap();
        }
    };
    write(3);
    assert_eq!(read_image_dataset(&out).unwrap(), ds);
    write(2);
    assert_eq!(list_parts(&out).unwrap().len(), 2, "part-00002 of the 3-shard run is gone");
    assert_eq!(read_image_dataset(&out).unwrap(), ds);
    // Over a single-file dataset, or with --rows-per-file, a shard refuses.
    let file = dir.path().join("one.parquet");
    ds.write(&file, None).unwrap();
    let shard = crate::Shard { index: 0, count: 2 };
    let schema = image_schema(&ds.meta, true);
    let e = DatasetWriter::create_shard(&file, schema.clone(), None, shard).err().unwrap();
    assert!(e.to_string().contains("is a single-file dataset"), "{e}");
    let e = DatasetWriter::create_shard(&out, schema, Some(5), shard).err().unwrap();
    assert!(matches!(e, Error::ShardWithRowsPerFile), "{e}");
}

/// A case of [`lists_of_float_or_double_are_read_as_float32_vectors`]: its name, the
/// feature column, and the schema metadata.
type ForeignCase<'a> = (&'a str, arrow::array::ArrayRef, &'a [(&'a str, &'a str)]);

/// A feature file as pandas or polars writes it: `label` and a `features` column of
/// the given list type, metadata `metadata`.
fn foreign_features(
    path: &std::path::Path,
    features: arrow::array::ArrayRef,
    metadata: &[(&str, &str)],
) {
    use arrow::array::Int64Array;
    use arrow::datatypes::{Field, Schema};
    let md: std::collections::HashMap<String, String> =
        metadata.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let schema = std::sync::Arc::new(Schema::new_with_metadata(
        vec![
            Field::new("label", arrow::datatypes::DataType::Int64, true),
            Field::new("features", features.data_type().clone(), true),
        ],
        md,
    ));
    let labels = std::sync::Arc::new(Int64Array::from(vec![0, 1, 0]));
    let batch = RecordBatch::try_new(schema.clone(), vec![labels, features]).unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn lists_of_float_or_double_are_read_as_float32_vectors() {
    use arrow::array::{FixedSizeListArray, Float64Array, LargeListArray, ListArray};
    use arrow::datatypes::{DataType, Field, Float32Type, Float64Type};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let rows = [[0.1f64, 0.2], [1.0 / 3.0, 4.0], [5.0, -6.5]];
    let want: Vec<f32> = rows.iter().flatten().map(|&v| v as f32).collect();
    let doubles = || rows.iter().map(|r| Some(r.iter().map(|&v| Some(v)).collect::<Vec<_>>()));
    let floats =
        || rows.iter().map(|r| Some(r.iter().map(|&v| Some(v as f32)).collect::<Vec<_>>()));
    let item64 = Arc::new(Field::new("item", DataType::Float64, true));
    let cases: Vec<ForeignCase> = vec![
        (
            "list<float>",
            Arc::new(ListArray::from_iter_primitive::<Float32Type, _, _>(floats())),
            &[],
        ),
        (
            "list<double>, dim",
            Arc::new(ListArray::from_iter_primitive::<Float64Type, _, _>(doubles())),
            &[("dim", "2")],
        ),
        (
            "large_list<double>",
            Arc::new(LargeListArray::from_iter_primitive::<Float64Type, _, _>(doubles())),
            &[],
        ),
        (
            "fixed_size_list<double>[2]",
            Arc::new(FixedSizeListArray::new(
                item64,
                2,
                Arc::new(Float64Array::from(rows.iter().flatten().copied().collect::<Vec<_>>())),
                None,
            )),
            &[("classes", "[\"a\",\"b\"]")],
        ),
    ];
    for (name, column, metadata) in cases {
        let path = dir
            .path()
            .join(format!("{}.parquet", name.replace(['<', '>', '[', ']', ',', ' '], "_")));
        foreign_features(&path, column, metadata);
        let ds = read_feature_dataset(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((ds.meta.dim, ds.labels.as_slice()), (2, &[0, 1, 0][..]), "{name}");
        assert_eq!(ds.features, want, "{name}");
    }
    // A row of another length is refused, naming the file.
    let ragged = ListArray::from_iter_primitive::<Float32Type, _, _>(vec![
        Some(vec![Some(1.0f32), Some(2.0)]),
        Some(vec![Some(3.0)]),
        Some(vec![Some(4.0), Some(5.0)]),
    ]);
    let path = dir.path().join("ragged.parquet");
    foreign_features(&path, Arc::new(ragged), &[]);
    let e = read_feature_dataset(&path).unwrap_err().to_string();
    assert!(
        e.contains("ragged.parquet") && e.contains("cannot be read as 2 values of float32 per row"),
        "{e}"
    );
}
