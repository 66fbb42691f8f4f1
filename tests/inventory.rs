//! Inventory: products (CRUD, filters, categories, validation, permissions, tenancy) and stock
//! movements (derived quantity, concurrency, negative stock, low-stock alerts, history).

mod common;

use common::{Res, Session, TestApp};
use reqwest::StatusCode;
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

    let res = app.delete(&admin, &format!("/api/v1/inventory/products/{id}")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    app.get(&format!("/api/v1/inventory/products/{id}"), &admin.access).await.assert_error(404, "not_found");
    app.put(&format!("/api/v1/inventory/products/{id}"), &admin.access, json!({"price": 1})).await.assert_error(404, "not_found");
    app.delete(&admin, &format!("/api/v1/inventory/products/{id}")).await.assert_error(404, "not_found");
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
    app.delete(&reception, &format!("/api/v1/inventory/products/{id}")).await.assert_error(403, "forbidden");

    // A manager sees cost prices; without `inventory.cost.view` a PUT cannot zero them.
    let manager = app.staff(&admin, "manager").await;
    assert_eq!(app.get(&format!("/api/v1/inventory/products/{id}"), &manager.access).await.body["costPrice"], json!(50));
    let mut su = app.su().await;
    sqlx::query("update role_permissions set permissions = permissions || '{\"inventory.cost.view\": false}' where role = 'manager'")
        .execute(&mut su).await.unwrap();
    app.touch(admin.salon_id()).await;
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
    app.delete(&b, &path).await.assert_error(404, "not_found");
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

async fn move_stock(app: &TestApp, who: &Session, id: i64, kind: &str, quantity: Value) -> Res {
    app.post("/api/v1/inventory/stock-movement", Some(&who.access),
             json!({"productId": id.to_string(), "type": kind, "quantity": quantity, "reason": ""})).await
}

async fn moved(app: &TestApp, who: &Session, id: i64, kind: &str, quantity: Value) -> Value {
    let res = move_stock(app, who, id, kind, quantity).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

/// Every product's cached quantity equals the sum of its movements.
async fn assert_quantities_are_sums(app: &TestApp) {
    let mut su = app.su().await;
    let off: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
        "select p.id, p.quantity_milli, (select sum(delta_milli)::bigint from stock_movements m
                                         where m.salon_id = p.salon_id and m.product_id = p.id) as total
         from products p")
        .fetch_all(&mut su).await.unwrap();
    for (id, cached, total) in off {
        assert_eq!(cached, total.unwrap_or(0), "product {id}: cached quantity differs from the sum of movements");
    }
}

#[tokio::test]
async fn concurrent_write_offs_cannot_overdraw() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let id = product(&app, &admin, "Лак", "L-1", json!(10), json!(0)).await;

    let answers = futures::future::join_all((0..20).map(|_| move_stock(&app, &admin, id, "out", json!(1)))).await;
    let ok = answers.iter().filter(|r| r.status == StatusCode::CREATED).count();
    let refused: Vec<&Res> = answers.iter().filter(|r| r.status != StatusCode::CREATED).collect();
    assert_eq!(ok, 10, "exactly the stock is written off");
    assert_eq!(refused.len(), 10);
    for res in refused {
        res.assert_error(422, "insufficient_stock");
    }
    let mut new_quantities: Vec<i64> = answers.iter().filter(|r| r.status == StatusCode::CREATED)
        .map(|r| r.body["newQuantity"].as_i64().unwrap()).collect();
    new_quantities.sort();
    assert_eq!(new_quantities, (0..10).collect::<Vec<_>>(), "each write-off saw the previous one");
    let after = app.get(&format!("/api/v1/inventory/products/{id}"), &admin.access).await;
    assert_eq!((after.body["quantity"].clone(), after.body["stockStatus"].clone()), (json!(0), json!("out")));
    assert_quantities_are_sums(&app).await;
}

#[tokio::test]
async fn quantity_is_the_sum_of_mixed_movements() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let reception = app.staff(&admin, "receptionist").await;
    let id = product(&app, &admin, "Олія", "O-1", json!(1.5), json!(0)).await;

    let body = moved(&app, &admin, id, "in", json!(2.125)).await;
    assert_eq!(body["newQuantity"], json!(3.625));
    assert_eq!(body["message"].as_str().map(|m| !m.is_empty()), Some(true));
    assert_eq!((body["movement"]["type"].clone(), body["movement"]["quantity"].clone()), (json!("in"), json!(2.125)));
    // The library sends productId as a number: accepted too; a receptionist may move stock.
    let res = app.post("/api/v1/inventory/stock-movement", Some(&reception.access), json!({
        "productId": id, "type": "out", "quantity": "0.625", "reason": "Використано", "documentNumber": "ВН-17"
    })).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["newQuantity"], json!(3));
    assert_eq!(res.body["movement"]["documentNumber"], "ВН-17");
    assert_eq!(res.body["movement"]["createdBy"], json!(reception.user_id));
    let body = moved(&app, &admin, id, "adjustment", json!(2.75)).await;
    assert_eq!((body["newQuantity"].clone(), body["movement"]["quantity"].clone()), (json!(2.75), json!(-0.25)),
               "an adjustment stores the signed difference");
    let body = moved(&app, &admin, id, "adjustment", json!(4)).await;
    assert_eq!(body["movement"]["quantity"], json!(1.25));
    let body = moved(&app, &admin, id, "out", json!(0.001)).await;
    assert_eq!(body["newQuantity"], json!(3.999));

    let product = app.get(&format!("/api/v1/inventory/products/{id}"), &admin.access).await;
    assert_eq!(product.body["quantity"], json!(3.999));
    assert_quantities_are_sums(&app).await;
    let mut su = app.su().await;
    let trail: i64 = sqlx::query_scalar("select count(*) from changes where entity = 'product' and entity_id = $1 and action = 'updated'")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!(trail, 5, "every movement is in the audit trail");
}

#[tokio::test]
async fn negative_stock_is_refused_unless_the_salon_allows_it() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let id = product(&app, &admin, "Фарба", "F-1", json!(3), json!(1)).await;
    let res = move_stock(&app, &admin, id, "out", json!(5)).await;
    res.assert_error(422, "insufficient_stock");
    let mut su = app.su().await;
    let (quantity, movements): (i64, i64) = sqlx::query_as(
        "select quantity_milli, (select count(*) from stock_movements where product_id = $1) from products where id = $1")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!((quantity, movements), (3_000, 1), "nothing written");

    sqlx::query("update salons set allow_negative_stock = true where id = $1").bind(admin.salon_id())
        .execute(&mut su).await.unwrap();
    let body = moved(&app, &admin, id, "out", json!(5)).await;
    assert_eq!(body["newQuantity"], json!(-2));
    let product = app.get(&format!("/api/v1/inventory/products/{id}"), &admin.access).await;
    assert_eq!((product.body["quantity"].clone(), product.body["stockStatus"].clone()), (json!(-2), json!("out")));
    assert_quantities_are_sums(&app).await;
}

#[tokio::test]
async fn bad_movements_are_4xx_with_field_details() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let id = product(&app, &admin, "Лак", "L-1", json!(5), json!(0)).await;
    let cases = [
        ("quantity", json!({"productId": id.to_string(), "type": "in", "quantity": -1})),
        ("quantity", json!({"productId": id.to_string(), "type": "out", "quantity": 0})),
        ("quantity", json!({"productId": id.to_string(), "type": "adjustment", "quantity": -0.5})),
        ("quantity", json!({"productId": id.to_string(), "type": "in", "quantity": 1.2345})),
        ("quantity", json!({"productId": id.to_string(), "type": "in", "quantity": "many"})),
        ("type", json!({"productId": id.to_string(), "type": "transfer", "quantity": 1})),
        ("productId", json!({"productId": "abc", "type": "in", "quantity": 1})),
        ("productId", json!({"productId": "12.5", "type": "in", "quantity": 1})),
        ("productId", json!({"productId": "999999", "type": "in", "quantity": 1})),
        ("reason", json!({"productId": id.to_string(), "type": "in", "quantity": 1, "reason": "x".repeat(501)})),
    ];
    for (field, body) in cases {
        let res = app.post("/api/v1/inventory/stock-movement", Some(&admin.access), body.clone()).await;
        res.assert_error(422, "validation_error");
        assert!(res.body["details"][field].is_array(), "{field} for {body}: {}", res.text);
    }
    let res = app.post("/api/v1/inventory/stock-movement", Some(&admin.access), json!({"type": "in", "quantity": 1})).await;
    res.assert_error(422, "validation_error");
    let master = app.staff(&admin, "master").await;
    move_stock(&app, &master, id, "in", json!(1)).await.assert_error(403, "forbidden");
    app.get(&format!("/api/v1/inventory/products/{id}/history"), &master.access).await.assert_error(403, "forbidden");

    let mut su = app.su().await;
    let (quantity, movements): (i64, i64) = sqlx::query_as(
        "select quantity_milli, (select count(*) from stock_movements where product_id = $1) from products where id = $1")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!((quantity, movements), (5_000, 1), "nothing written");
}

#[tokio::test]
async fn history_lists_movements_newest_first_with_the_running_balance() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let id = product(&app, &admin, "Крем", "K-1", json!(10), json!(0)).await;
    moved(&app, &admin, id, "out", json!(2.5)).await;
    let res = app.post("/api/v1/inventory/stock-movement", Some(&admin.access), json!({
        "productId": id.to_string(), "type": "in", "quantity": 4, "reason": "Поставка", "documentNumber": "НК-5"
    })).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    moved(&app, &admin, id, "adjustment", json!(11)).await;

    let reception = app.staff(&admin, "receptionist").await;
    let res = app.get(&format!("/api/v1/inventory/products/{id}/history"), &reception.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.headers["x-total-count"], "4");
    let rows: Vec<(Value, Value, Value)> = res.body.as_array().unwrap().iter()
        .map(|m| (m["type"].clone(), m["quantity"].clone(), m["balanceAfter"].clone())).collect();
    assert_eq!(rows, [
        (json!("adjustment"), json!(-0.5), json!(11)),
        (json!("in"), json!(4), json!(11.5)),
        (json!("out"), json!(2.5), json!(7.5)),
        (json!("in"), json!(10), json!(10)),
    ]);
    let first = &res.body[1];
    assert_eq!((first["reason"].as_str(), first["documentNumber"].as_str()), (Some("Поставка"), Some("НК-5")));
    assert_eq!((first["productId"].as_i64(), first["createdBy"].as_i64()), (Some(id), Some(admin.user_id)));
    assert!(first["id"].is_i64() && first["createdAt"].is_string());
    assert_eq!(res.body[2]["reason"], Value::Null, "\"\" is no reason");
    assert_eq!(res.body[3]["reason"], "Початковий залишок");

    let page = app.get(&format!("/api/v1/inventory/products/{id}/history?limit=2&offset=1"), &admin.access).await;
    let balances: Vec<Value> = page.body.as_array().unwrap().iter().map(|m| m["balanceAfter"].clone()).collect();
    assert_eq!(balances, [json!(11.5), json!(7.5)], "the running balance does not depend on the page");
    app.get("/api/v1/inventory/products/999999/history", &admin.access).await.assert_error(404, "not_found");
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Text frames of the socket until `kinds` have all arrived (5 s at most).
async fn frames_of(ws: &mut Ws, kinds: &[&str]) -> Vec<Value> {
    use futures::StreamExt;
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !kinds.iter().all(|k| seen.iter().any(|f: &Value| f["type"] == *k)) {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.expect("the frames arrive in time");
        if let tokio_tungstenite::tungstenite::Message::Text(text) = msg.unwrap().unwrap() {
            seen.push(serde_json::from_str(&text).unwrap());
        }
    }
    seen
}

async fn notes_of(app: &TestApp, user_id: i64) -> Vec<(String, String)> {
    let mut su = app.su().await;
    sqlx::query_as("select type, title from notifications where user_id = $1 and link = '/inventory' order by id")
        .bind(user_id).fetch_all(&mut su).await.unwrap()
}

#[tokio::test]
async fn reaching_the_minimum_notifies_admins_and_managers_once() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let manager = app.staff(&admin, "manager").await;
    let former = app.staff(&admin, "manager").await;
    let reception = app.staff(&admin, "receptionist").await;
    let mut su = app.su().await;
    sqlx::query("update users set is_active = false where id = $1").bind(former.user_id).execute(&mut su).await.unwrap();
    app.touch(former.salon_id()).await;
    let other = app.new_salon("Beta").await;
    let id = product(&app, &admin, "Шампунь", "SH-1", json!(5), json!(2)).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws?token={}", app.addr, admin.access))
        .await.expect("the socket opens");

    moved(&app, &reception, id, "out", json!(2)).await; // 3: above the minimum
    assert!(notes_of(&app, admin.user_id).await.is_empty());

    moved(&app, &reception, id, "out", json!(1)).await; // 2: reaches the minimum
    let frames = frames_of(&mut ws, &["inventory:low-stock", "notification:new"]).await;
    let event = frames.iter().find(|f| f["type"] == "inventory:low-stock").unwrap();
    assert_eq!((event["data"]["id"].as_i64(), event["data"]["quantity"].clone()), (Some(id), json!(2)));
    assert_eq!((event["data"]["stockStatus"].clone(), event["data"]["costPrice"].clone()), (json!("low"), json!(0)),
               "every socket gets it, so no cost price");
    let note = frames.iter().find(|f| f["type"] == "notification:new").unwrap();
    assert_eq!(note["data"]["type"], "warning");
    assert!(note["data"]["message"].as_str().unwrap().contains("Шампунь"), "{note}");

    moved(&app, &reception, id, "out", json!(1)).await; // 1: further below, no new alert
    moved(&app, &reception, id, "adjustment", json!(0.5)).await;
    let expected = vec![("warning".to_owned(), "Товар закінчується".to_owned())];
    assert_eq!(notes_of(&app, admin.user_id).await, expected);
    assert_eq!(notes_of(&app, manager.user_id).await, expected);
    assert!(notes_of(&app, former.user_id).await.is_empty(), "inactive accounts are skipped");
    assert!(notes_of(&app, reception.user_id).await.is_empty(), "receptionists are not told");
    assert!(notes_of(&app, other.user_id).await.is_empty(), "another salon is not told");

    // Restocked above the minimum, it alerts again on the next crossing (here to zero).
    moved(&app, &reception, id, "in", json!(4.5)).await;
    assert_eq!(notes_of(&app, admin.user_id).await.len(), 1);
    moved(&app, &reception, id, "out", json!(5)).await;
    let notes = notes_of(&app, manager.user_id).await;
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[1].1, "Товар закінчився");
}

#[tokio::test]
async fn openapi_describes_every_inventory_route() {
    let app = TestApp::spawn().await;
    let doc = Res::from(app.client.get(app.url("/openapi.json")).send().await.unwrap()).await;
    let paths = doc.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/inventory/products", "get"), ("/api/v1/inventory/products", "post"),
        ("/api/v1/inventory/products/{id}", "get"), ("/api/v1/inventory/products/{id}", "put"),
        ("/api/v1/inventory/products/{id}", "delete"), ("/api/v1/inventory/products/{id}/history", "get"),
        ("/api/v1/inventory/stock-movement", "post"), ("/api/v1/inventory/categories", "get"),
        ("/api/v1/inventory/export", "get"), ("/api/v1/inventory/import", "post"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing from OpenAPI");
    }
    let import = &paths["/api/v1/inventory/import"]["post"];
    assert!(import["requestBody"]["content"]["multipart/form-data"].is_object(), "{import}");
}
