//! Inventory: products (CRUD, filters, categories, validation, permissions, tenancy) and stock
//! movements (derived quantity, concurrency, negative stock, low-stock alerts, history).

mod common;

use common::{Res, Session, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create(app: &TestApp, who: &Session, body: Value) -> Value {
    let res = app.post("/api/v1/inventory/products", Some(&who.access), body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

async fn product(app: &TestApp, who: &Session, name: &str, sku: &str, quantity: Value, min: Value) -> i64 {
    create(app, who, json!({"name": name, "sku": sku, "category": "retail", "quantity": quantity, "unit": "pcs",
                           "price": 100, "costPrice": 50, "minQuantity": min}))
        .await["id"]
        .as_i64()
        .unwrap()
}

async fn delete(app: &TestApp, who: &Session, path: &str) -> Res {
    app.request(Method::DELETE, path, Some(&who.access), None).await
}

fn names(res: &Res) -> Vec<String> {
    res.body.as_array().unwrap_or_else(|| panic!("an array: {}", res.text))
        .iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_product_goes_through_its_whole_life() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let created = create(&app, &admin, json!({
        "name": "Шампунь Kerastase", "sku": "KER-001", "category": "professional", "quantity": 12.5,
        "unit": "l", "price": 850.5, "costPrice": 420.25, "minQuantity": 0.125, "packageVolume": 0.25,
        "description": "Для фарбованого волосся", "isActive": true
    })).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["name"], "Шампунь Kerastase");
    assert_eq!(created["sku"], "KER-001");
    assert_eq!(created["category"], "professional");
    assert_eq!(created["quantity"], json!(12.5), "exact quantity: {created}");
    assert_eq!(created["minQuantity"], json!(0.125));
    assert_eq!(created["packageVolume"], json!(0.25));
    assert_eq!((created["price"].clone(), created["costPrice"].clone()), (json!(850.5), json!(420.25)));
    assert_eq!((created["unit"].as_str(), created["isActive"].as_bool()), (Some("l"), Some(true)));
    assert_eq!(created["stockStatus"], "ok");
    assert_eq!(created["type"], Value::Null);
    assert!(created["lastRestockDate"].as_str().is_some_and(|d| d.len() == 10), "{created}");
    assert!(created["createdAt"].is_string() && created["updatedAt"].is_string());

    let one = app.get(&format!("/api/v1/inventory/products/{id}"), &admin.access).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body, created);

    // The initial stock is a movement: the quantity is derived from movements.
    let mut su = app.su().await;
    let (kind, delta): (String, i64) = sqlx::query_as("select kind, delta_milli from stock_movements where product_id = $1")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!((kind.as_str(), delta), ("in", 12_500));

    // A partial update changes only what it names; "" clears the type, null the volume.
    let res = app.put(&format!("/api/v1/inventory/products/{id}"), &admin.access,
        json!({"price": 900, "type": "", "packageVolume": null, "minQuantity": 1})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["price"], json!(900));
    assert_eq!(res.body["packageVolume"], Value::Null);
    assert_eq!(res.body["minQuantity"], json!(1));
    assert_eq!((res.body["name"].as_str(), res.body["quantity"].clone()), (Some("Шампунь Kerastase"), json!(12.5)));
    assert_eq!(res.body["costPrice"], json!(420.25));

    // The edit form's quantity is a stock count: recorded as an adjustment by the difference.
    let res = app.put(&format!("/api/v1/inventory/products/{id}"), &admin.access, json!({"quantity": 10.375})).await;
    assert_eq!(res.body["quantity"], json!(10.375), "{}", res.text);
    let deltas: Vec<(String, i64)> = sqlx::query_as("select kind, delta_milli from stock_movements where product_id = $1 order by id")
        .bind(id).fetch_all(&mut su).await.unwrap();
    assert_eq!(deltas, [("in".to_owned(), 12_500), ("adjustment".to_owned(), -2_125)]);

    let res = delete(&app, &admin, &format!("/api/v1/inventory/products/{id}")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    app.get(&format!("/api/v1/inventory/products/{id}"), &admin.access).await.assert_error(404, "not_found");
    app.put(&format!("/api/v1/inventory/products/{id}"), &admin.access, json!({"price": 1})).await.assert_error(404, "not_found");
    delete(&app, &admin, &format!("/api/v1/inventory/products/{id}")).await.assert_error(404, "not_found");
    assert_eq!(app.get("/api/v1/inventory/products", &admin.access).await.body, json!([]));

    // Archived, not gone: movements stay, and the SKU is free again.
    let (archived, movements): (bool, i64) = sqlx::query_as(
        "select archived_at is not null, (select count(*) from stock_movements where product_id = $1) from products where id = $1")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!((archived, movements), (true, 2));
    create(&app, &admin, json!({"name": "Новий", "sku": "ker-001"})).await;
    let trail: Vec<String> = sqlx::query_scalar("select action from changes where entity = 'product' and entity_id = $1 order by id")
        .bind(id).fetch_all(&mut su).await.unwrap();
    assert_eq!(trail, ["created", "updated", "updated", "deleted"]);
}

#[tokio::test]
async fn defaults_duplicates_and_free_category_slugs() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let bare = create(&app, &admin, json!({"name": "Рукавички", "sku": "GL-1"})).await;
    assert_eq!((bare["category"].as_str(), bare["unit"].as_str()), (Some("uncategorized"), Some("pcs")));
    assert_eq!((bare["quantity"].clone(), bare["minQuantity"].clone()), (json!(0), json!(0)));
    assert_eq!((bare["price"].clone(), bare["costPrice"].clone()), (json!(0), json!(0)));
    assert_eq!((bare["description"].as_str(), bare["stockStatus"].as_str()), (Some(""), Some("out")));
    assert_eq!(bare["lastRestockDate"], Value::Null);

    let res = app.post("/api/v1/inventory/products", Some(&admin.access), json!({"name": "Інші", "sku": "gl-1"})).await;
    res.assert_error(409, "sku_taken");

    create(&app, &admin, json!({"name": "Віск", "sku": "W-1", "category": " Hair-Removal "})).await;
    let categories = app.get("/api/v1/inventory/categories", &admin.access).await;
    assert_eq!(categories.status, StatusCode::OK, "{}", categories.text);
    assert_eq!(categories.body,
               json!(["professional", "retail", "consumables", "equipment", "uncategorized", "hair-removal"]));
    let filtered = app.get("/api/v1/inventory/products?category=HAIR-REMOVAL", &admin.access).await;
    assert_eq!(names(&filtered), ["Віск"]);
}

#[tokio::test]
async fn lists_filter_by_stock_status_search_category_and_page() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    product(&app, &admin, "Бальзам", "B-1", json!(10), json!(2)).await; // ok
    product(&app, &admin, "Лак", "L-1", json!(2), json!(2)).await; // low: at the minimum
    product(&app, &admin, "Маска", "M-1", json!(0.5), json!(1)).await; // low
    product(&app, &admin, "Олія", "O-1", json!(0), json!(1)).await; // out
    create(&app, &admin, json!({"name": "Пилка", "sku": "P-1", "category": "equipment", "type": "item",
                                "quantity": 3, "isActive": false})).await;

    let get = |q: &'static str| {
        let app = &app;
        let token = admin.access.clone();
        async move { app.get(&format!("/api/v1/inventory/products{q}"), &token).await }
    };
    let all = get("?search=&category=&stockStatus=").await;
    assert_eq!(names(&all), ["Бальзам", "Лак", "Маска", "Олія", "Пилка"]);
    assert_eq!(all.headers["x-total-count"], "5");
    assert_eq!(names(&get("?stockStatus=ok").await), ["Бальзам", "Пилка"]);
    assert_eq!(names(&get("?stockStatus=low").await), ["Лак", "Маска"]);
    assert_eq!(names(&get("?stockStatus=out").await), ["Олія"]);
    let statuses: Vec<Value> = all.body.as_array().unwrap().iter().map(|p| p["stockStatus"].clone()).collect();
    assert_eq!(statuses, [json!("ok"), json!("low"), json!("low"), json!("out"), json!("ok")]);
    assert_eq!(names(&get("?search=m-1").await), ["Маска"], "SKU is searched");
    assert_eq!(names(&get("?search=%D0%BA%D0%B0").await), ["Маска", "Пилка"], "name is searched: «ка»");
    assert_eq!(names(&get("?category=all&isActive=false").await), ["Пилка"]);
    assert_eq!(names(&get("?type=ITEM").await), ["Пилка"]);
    assert_eq!(names(&get("?category=retail&isActive=true").await), ["Бальзам", "Лак", "Маска", "Олія"]);
    let page = get("?limit=2&page=2").await;
    assert_eq!(names(&page), ["Маска", "Олія"]);
    assert_eq!(page.headers["x-total-count"], "5");
    assert_eq!(names(&get("?limit=2&offset=4").await), ["Пилка"]);
    get("?stockStatus=empty").await.assert_error(422, "validation_error");
}

#[tokio::test]
async fn bad_product_input_is_422_with_every_field() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let res = app.post("/api/v1/inventory/products", Some(&admin.access), json!({
        "name": " ", "sku": "", "quantity": -1, "minQuantity": -0.5, "price": -1, "costPrice": -2
    })).await;
    res.assert_error(422, "validation_error");
    for field in ["name", "sku", "quantity", "minQuantity", "price", "costPrice"] {
        assert!(res.body["details"][field].is_array(), "{field}: {}", res.text);
    }
    for (field, value) in [("quantity", json!(1.2345)), ("minQuantity", json!(0.0001)), ("price", json!(1.005)),
                           ("unit", json!("box")), ("quantity", json!("abc")), ("packageVolume", json!(true))] {
        let mut body = json!({"name": "Товар", "sku": "T-1"});
        body[field] = value;
        let res = app.post("/api/v1/inventory/products", Some(&admin.access), body).await;
        res.assert_error(422, "validation_error");
        assert!(res.body["details"][field].is_array(), "{field}: {}", res.text);
    }
    let id = product(&app, &admin, "Лак", "L-1", json!(1), json!(0)).await;
    let res = app.put(&format!("/api/v1/inventory/products/{id}"), &admin.access, json!({"quantity": -3, "name": ""})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["quantity"].is_array() && res.body["details"]["name"].is_array(), "{}", res.text);
    let mut su = app.su().await;
    let count: i64 = sqlx::query_scalar("select count(*) from products").fetch_one(&mut su).await.unwrap();
    assert_eq!(count, 1, "nothing written by refused requests");
}

#[tokio::test]
async fn permissions_follow_the_matrix_and_cost_prices_need_their_own() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let id = product(&app, &admin, "Лак", "L-1", json!(5), json!(1)).await;
    let master = app.staff(&admin, "master").await;
    app.get("/api/v1/inventory/products", &master.access).await.assert_error(403, "forbidden");
    app.get("/api/v1/inventory/categories", &master.access).await.assert_error(403, "forbidden");

    // A receptionist reads stock without cost prices and may not manage products.
    let reception = app.staff(&admin, "receptionist").await;
    let list = app.get("/api/v1/inventory/products", &reception.access).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(list.body[0]["costPrice"], json!(0));
    assert_eq!(list.body[0]["price"], json!(100));
    let one = app.get(&format!("/api/v1/inventory/products/{id}"), &reception.access).await;
    assert_eq!(one.body["costPrice"], json!(0));
    app.post("/api/v1/inventory/products", Some(&reception.access), json!({"name": "X", "sku": "X"}))
        .await.assert_error(403, "forbidden");
    app.put(&format!("/api/v1/inventory/products/{id}"), &reception.access, json!({"price": 1}))
        .await.assert_error(403, "forbidden");
    delete(&app, &reception, &format!("/api/v1/inventory/products/{id}")).await.assert_error(403, "forbidden");

    // A manager sees cost prices; without `inventory.cost.view` a PUT cannot zero them.
    let manager = app.staff(&admin, "manager").await;
    assert_eq!(app.get(&format!("/api/v1/inventory/products/{id}"), &manager.access).await.body["costPrice"], json!(50));
    let mut su = app.su().await;
    sqlx::query("update role_permissions set permissions = permissions || '{\"inventory.cost.view\": false}' where role = 'manager'")
        .execute(&mut su).await.unwrap();
    let res = app.put(&format!("/api/v1/inventory/products/{id}"), &manager.access, json!({"costPrice": 0, "price": 120})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!((res.body["costPrice"].clone(), res.body["price"].clone()), (json!(0), json!(120)));
    let cost: i64 = sqlx::query_scalar("select cost_price_minor from products where id = $1").bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!(cost, 5_000, "the hidden cost price is kept");
}

#[tokio::test]
async fn another_salon_can_neither_see_nor_change_nor_reference_a_product() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let id = product(&app, &a, "Лак", "L-1", json!(5), json!(1)).await;
    let path = format!("/api/v1/inventory/products/{id}");

    app.get(&path, &b.access).await.assert_error(404, "not_found");
    app.put(&path, &b.access, json!({"name": "Чужий", "quantity": 0})).await.assert_error(404, "not_found");
    delete(&app, &b, &path).await.assert_error(404, "not_found");
    app.get(&format!("{path}/history"), &b.access).await.assert_error(404, "not_found");
    assert_eq!(app.get("/api/v1/inventory/products", &b.access).await.body, json!([]));
    let categories = app.get("/api/v1/inventory/categories", &b.access).await;
    assert_eq!(categories.body.as_array().unwrap().len(), 5);

    for product_id in [json!(id.to_string()), json!(id)] {
        let res = app.post("/api/v1/inventory/stock-movement", Some(&b.access),
                           json!({"productId": product_id, "type": "out", "quantity": 5, "reason": ""})).await;
        res.assert_error(422, "validation_error");
        assert!(res.body["details"]["productId"].is_array(), "{}", res.text);
    }
    // Salon B's own SKU space is separate.
    product(&app, &b, "Лак", "L-1", json!(1), json!(0)).await;

    let mut su = app.su().await;
    let (name, quantity, archived): (String, i64, bool) =
        sqlx::query_as("select name, quantity_milli, archived_at is not null from products where id = $1")
            .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!((name.as_str(), quantity, archived), ("Лак", 5_000, false));
    let movements: i64 = sqlx::query_scalar("select count(*) from stock_movements where product_id = $1 and salon_id = $2")
        .bind(id).bind(a.salon_id()).fetch_one(&mut su).await.unwrap();
    assert_eq!(movements, 1);
}
