//! A stage's parameter struct as its command-line flags: [`to_args`] writes each
//! serialized field as `--field-name value`, the name the `clap` derive gives the same
//! field. So a flag is defined once, by its field: its name, its doc and its type,
//! and the pipeline builds a stage's command from the struct, spelling no flag.
//!
//! How values become words:
//! * `None`, `false` and fields skipped by `skip_serializing_if` write nothing;
//! * `true` writes the bare flag (`--skip-bad`);
//! * numbers, strings and paths their text (`0.1`, `L2-Hys`); a list its items
//!   joined by commas (`--classes a,b`); a [`Size2`](crate::Size2) `RxC` (`4x4`);
//! * a `#[serde(flatten)]`ed struct its own fields, in place;
//! * a field renamed to `""` is positional: its value without a flag, a list's items
//!   as separate words (`evaluate merge A B`).
//!
//! ```
//! use serde::Serialize;
//!
//! #[derive(Serialize)]
//! struct Demo {
//!     #[serde(rename = "in")]
//!     input: String,
//!     val_fraction: Option<f64>,
//!     seed: Option<u64>,
//!     skip_bad: bool,
//!     size: params::Size2,
//!     classes: Vec<String>,
//! }
//! let d = Demo {
//!     input: "a.parquet".into(),
//!     val_fraction: Some(0.1),
//!     seed: None,
//!     skip_bad: true,
//!     size: params::Size2::square(128),
//!     classes: vec!["cat".into(), "dog".into()],
//! };
//! assert_eq!(
//!     params::to_args(&d).join(" "),
//!     "--in a.parquet --val-fraction 0.1 --skip-bad --size 128x128 --classes cat,dog"
//! );
//! ```

use std::fmt::Display;

use serde::ser::{self, Impossible, Serialize};

/// The name under which [`Size2`](crate::Size2) serializes as a newtype, so that
/// flags write it `RxC` while TOML and JSON see the plain number or pair.
pub(crate) const SIZE2_NAME: &str = "params::Size2";

/// The flags of `value`, in field order (see the module doc).
///
/// Panics if `value` is not a struct of flag values: that is a mistake in this crate's
/// types, caught by their tests, not something a user's input can cause.
pub fn to_args<T: Serialize + ?Sized>(value: &T) -> Vec<String> {
    let mut out = Vec::new();
    value.serialize(Flags { out: &mut out }).expect("a parameter struct serializes as flags");
    out
}

/// Why a value cannot be written as flags.
#[derive(Debug)]
pub struct NotFlags(String);

impl Display for NotFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for NotFlags {}
impl ser::Error for NotFlags {
    fn custom<T: Display>(msg: T) -> Self {
        NotFlags(msg.to_string())
    }
}

fn not_flags<T>(what: &str) -> Result<T, NotFlags> {
    Err(NotFlags(format!("{what} cannot be written as command-line flags")))
}

/// The top level: a struct (or a flattened map) whose fields are flags.
struct Flags<'a> {
    out: &'a mut Vec<String>,
}

impl Flags<'_> {
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), NotFlags> {
        let flag = format!("--{}", name.replace('_', "-"));
        match (name.is_empty(), value.serialize(Word)?) {
            (_, Value::Absent) => {}
            (false, Value::Switch) => self.out.push(flag),
            (false, Value::Word(w)) => self.out.extend([flag, w]),
            (false, Value::Words(w)) => self.out.extend([flag, w.join(",")]),
            (true, Value::Word(w)) => self.out.push(w),
            (true, Value::Words(w)) => self.out.extend(w),
            (true, Value::Switch) => return not_flags("a positional switch"),
        }
        Ok(())
    }
}

/// What one field writes.
enum Value {
    Absent,
    Switch,
    Word(String),
    /// A list: joined by commas after a flag, separate words when positional.
    Words(Vec<String>),
}

/// The compound shapes neither serializer writes (tuples, enum variants with data):
/// each method refuses with one sentence.
macro_rules! refuse_compounds {
    () => {
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok, NotFlags> {
            not_flags("an enum variant with data")
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotFlags> {
            not_flags("a tuple")
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, NotFlags> {
            not_flags("a tuple struct")
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, NotFlags> {
            not_flags("a tuple variant")
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, NotFlags> {
            not_flags("a struct variant")
        }
    };
}

macro_rules! unsupported {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {$(
        fn $method(self, $(_: $arg),*) -> Result<Self::Ok, NotFlags> {
            not_flags(stringify!($method))
        }
    )*};
}

impl<'a> ser::Serializer for Flags<'a> {
    type Ok = ();
    type Error = NotFlags;
    type SerializeSeq = Impossible<(), NotFlags>;
    type SerializeTuple = Impossible<(), NotFlags>;
    type SerializeTupleStruct = Impossible<(), NotFlags>;
    type SerializeTupleVariant = Impossible<(), NotFlags>;
    type SerializeMap = FlagMap<'a>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), NotFlags>;

    refuse_compounds!();

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, NotFlags> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<FlagMap<'a>, NotFlags> {
        Ok(FlagMap { flags: self, key: None })
    }
    fn serialize_unit(self) -> Result<(), NotFlags> {
        Ok(())
    }
    unsupported!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), NotFlags> {
        v.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), NotFlags> {
        v.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotFlags> {
        not_flags("a list")
    }
}

impl ser::SerializeStruct for Flags<'_> {
    type Ok = ();
    type Error = NotFlags;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), NotFlags> {
        self.field(name, value)
    }
    fn end(self) -> Result<(), NotFlags> {
        Ok(())
    }
}

/// A `#[serde(flatten)]`ed struct arrives as map entries.
struct FlagMap<'a> {
    flags: Flags<'a>,
    key: Option<String>,
}

impl ser::SerializeMap for FlagMap<'_> {
    type Ok = ();
    type Error = NotFlags;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), NotFlags> {
        match key.serialize(Word)? {
            Value::Word(k) => {
                self.key = Some(k);
                Ok(())
            }
            _ => not_flags("a map key that is not a name"),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotFlags> {
        let key = self.key.take().expect("serde gives a key before its value");
        self.flags.field(&key, value)
    }
    fn end(self) -> Result<(), NotFlags> {
        Ok(())
    }
}

/// One field's value as a word (or a switch, or nothing).
struct Word;

fn word(v: impl Display) -> Result<Value, NotFlags> {
    Ok(Value::Word(v.to_string()))
}

impl ser::Serializer for Word {
    type Ok = Value;
    type Error = NotFlags;
    type SerializeSeq = List;
    type SerializeTuple = Impossible<Value, NotFlags>;
    type SerializeTupleStruct = Impossible<Value, NotFlags>;
    type SerializeTupleVariant = Impossible<Value, NotFlags>;
    type SerializeMap = Impossible<Value, NotFlags>;
    type SerializeStruct = Impossible<Value, NotFlags>;
    type SerializeStructVariant = Impossible<Value, NotFlags>;

    refuse_compounds!();

    fn serialize_bool(self, v: bool) -> Result<Value, NotFlags> {
        Ok(if v { Value::Switch } else { Value::Absent })
    }
    fn serialize_i8(self, v: i8) -> Result<Value, NotFlags> {
        word(v)
    }
    fn serialize_i16(self, v: i16) -> Result<Value, NotFlags> {
        word(v)
    }
    fn serialize_i32(self, v: i32) -> Result<Value, NotFlags> {
        word(v)
    }
    fn serialize_i64(self, v: i64) -> Result<Value, NotFlags> {
        word(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Value, NotFlags> {
        word(v)
    }
    fn serialize_u16(self, v: u16) -> Result<Value, NotFlags> {
        word(v)
    }
    fn serialize_u32(self, v: u32) -> Result<Value, NotFlags> {
        word(v)
    }
    fn serialize_u64(self, v: u64) -> Result<Value, NotFlags> {
        word(v)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, NotFlags> {
        word(v)
    }
    fn serialize_f64(self, v: f64) -> Result<Value, NotFlags> {
        word(v)
    }
    fn serialize_char(self, v: char) -> Result<Value, NotFlags> {
        word(v)
    }
    fn serialize_str(self, v: &str) -> Result<Value, NotFlags> {
        word(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Value, NotFlags> {
        not_flags("bytes")
    }
    fn serialize_none(self) -> Result<Value, NotFlags> {
        Ok(Value::Absent)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, NotFlags> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, NotFlags> {
        Ok(Value::Absent)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, NotFlags> {
        Ok(Value::Absent)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value, NotFlags> {
        word(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<Value, NotFlags> {
        let inner = v.serialize(Word)?;
        match (name, inner) {
            // A square size serializes as its side: on a command line it is `NxN`.
            (SIZE2_NAME, Value::Word(w)) => Ok(Value::Word(format!("{w}x{w}"))),
            (SIZE2_NAME, Value::Words(w)) => Ok(Value::Word(w.join("x"))),
            (_, inner) => Ok(inner),
        }
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<List, NotFlags> {
        Ok(List(Vec::new()))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotFlags> {
        not_flags("a table inside a flag")
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotFlags> {
        not_flags("a struct inside a flag")
    }
}

/// A list flag's items, joined by commas.
struct List(Vec<String>);

impl ser::SerializeSeq for List {
    type Ok = Value;
    type Error = NotFlags;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NotFlags> {
        match v.serialize(Word)? {
            Value::Word(w) => {
                self.0.push(w);
                Ok(())
            }
            _ => not_flags("a list item that is not a value"),
        }
    }
    fn end(self) -> Result<Value, NotFlags> {
        Ok(Value::Words(self.0))
    }
}
