//! Where pending logins and tokens live: memory (default for tokens), sessionStorage (default for
//! pending logins), localStorage, or any object with getItem/setItem/removeItem (sync or async).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::http::describe;
use super::js;
use crate::core::{CozeError, ErrorCode, Result};

#[derive(Clone)]
pub enum Store {
    /// A handful of keys at most: a list is smaller in the wasm than a HashMap (no hasher).
    Memory(Rc<RefCell<Vec<(String, String)>>>),
    /// A Web Storage–like object.
    Js(JsValue),
}

/// Which store to use when the caller says nothing.
#[derive(Clone, Copy)]
pub enum DefaultStore {
    Memory,
    Session,
}

impl Store {
    pub fn memory() -> Store {
        Store::Memory(Rc::default())
    }

    /// `undefined` → the default; `'memory' | 'session' | 'local'`; or a storage object.
    pub fn from_option(option: &JsValue, default: DefaultStore) -> Result<Store> {
        if option.is_undefined() || option.is_null() {
            return match default {
                DefaultStore::Memory => Ok(Store::memory()),
                DefaultStore::Session => session(),
            };
        }
        if option.is_string() {
            let name = js::text(option)
                .map_err(|why| CozeError::invalid_argument(format!("the storage name {why}")))?
                .unwrap_or_default();
            return match name.as_str() {
                "memory" => Ok(Store::memory()),
                "session" => session(),
                "local" => {
                    let local = js::get(&js_sys::global(), "localStorage");
                    if local.is_object() {
                        Ok(Store::Js(local))
                    } else {
                        Err(unavailable("localStorage"))
                    }
                }
                _ => Err(CozeError::invalid_argument(
                    "storage must be 'memory', 'session', 'local' or an object with getItem/setItem/removeItem",
                )),
            };
        }
        for method in ["getItem", "setItem", "removeItem"] {
            if !js::get(option, method).is_function() {
                return Err(CozeError::invalid_argument(format!("the storage object has no {method}() method")));
            }
        }
        Ok(Store::Js(option.clone()))
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>> {
        match self {
            Store::Memory(map) => Ok(map.borrow().iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())),
            Store::Js(obj) => {
                let value = call(obj, "getItem", &[JsValue::from_str(key)]).await?;
                Ok(value.as_string())
            }
        }
    }

    pub async fn set(&self, key: &str, value: &str) -> Result<()> {
        match self {
            Store::Memory(map) => {
                let mut map = map.borrow_mut();
                map.retain(|(k, _)| k != key);
                map.push((key.to_owned(), value.to_owned()));
                Ok(())
            }
            Store::Js(obj) => call(obj, "setItem", &[JsValue::from_str(key), JsValue::from_str(value)]).await.map(drop),
        }
    }

    pub async fn remove(&self, key: &str) -> Result<()> {
        match self {
            Store::Memory(map) => {
                map.borrow_mut().retain(|(k, _)| k != key);
                Ok(())
            }
            Store::Js(obj) => call(obj, "removeItem", &[JsValue::from_str(key)]).await.map(drop),
        }
    }
}

fn session() -> Result<Store> {
    let storage = js::session_storage_or_null();
    if storage.is_object() {
        Ok(Store::Js(storage))
    } else {
        Err(unavailable("sessionStorage"))
    }
}

fn unavailable(what: &str) -> CozeError {
    CozeError::new(
        ErrorCode::Storage,
        format!("{what} is not available here (Node, a worker or a sandboxed frame); pass a storage object"),
    )
}

async fn call(obj: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue> {
    let func: Function = js::get(obj, method).unchecked_into();
    let this_arg = obj;
    let result = match args {
        [a] => func.call1(this_arg, a),
        [a, b] => func.call2(this_arg, a, b),
        _ => func.call0(this_arg),
    }
    .map_err(|e| storage_error(method, &e))?;
    // Web Storage answers synchronously, custom stores may return promises: await either.
    JsFuture::from(Promise::resolve(&result)).await.map_err(|e| storage_error(method, &e))
}

fn storage_error(method: &str, err: &JsValue) -> CozeError {
    CozeError::new(ErrorCode::Storage, format!("storage.{method}() failed: {}", describe(err)))
}
