//! Partnership charters in Chromium: the vendor reads the verdicts, signs, enters Crawl and
//! opens the operating model; the decision trees page walks a tree.

use partnerops_core::partnership::record::CharterInput;
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::Actor;

use crate::browser::{Browser, VENDOR_ADMIN, all_partners, eventually, seeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_works_a_charter_and_a_tree() {
    let (app, _) = seeded().await;
    let partner = all_partners(&app.store).await.remove(0);
    let charter = app
        .store
        .create_charter(
            &Actor::system("test"),
            &CharterInput {
                partner_id: Some(partner.id.to_string()),
                title: Some("Joint analytics offer".into()),
                content: None,
            },
        )
        .await
        .expect("a charter");
    let b = Browser::start(&app).await;
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    // Signing in redirects to the home page; arrive there before going elsewhere.
    b.wait_path("/console").await;
    b.goto(&format!("/console/charters/{}", charter.id)).await;
    b.wait_css("#charter-title").await;
    let skin = b.text("#verdict-skin").await.to_lowercase();
    assert!(skin.contains("a handshake, not a partnership"), "{skin}");
    let story = b.text("#verdict-story").await.to_lowercase();
    assert!(
        story.contains("a product feature with a press release attached"),
        "{story}"
    );
    b.shot("charter-01-draft").await;

    b.click("#sign").await;
    // The page reloads with a notice once signed; then the next phase can be entered.
    eventually("the signed charter page", async || {
        let url = b.url().await;
        if url.contains("done=sign") {
            Ok(url)
        } else {
            Err(url)
        }
    })
    .await;
    b.wait_css("#enter-phase").await;
    b.click("#enter-phase").await;
    eventually("the charter to be in Crawl", async || {
        let phase = if b.exists("#charter-phase").await {
            b.text("#charter-phase").await
        } else {
            String::new()
        };
        if phase == "Crawl" {
            Ok(phase)
        } else {
            Err(phase)
        }
    })
    .await;
    b.shot("charter-02-crawl").await;

    b.goto(&format!("/console/charters/{}/operating-model", charter.id))
        .await;
    let model = b.source().await;
    assert!(
        model.contains("Operating model") && model.contains("Missing"),
        "the document calls out empty sections"
    );
    b.shot("charter-03-operating-model").await;

    b.goto("/console/trees").await;
    b.wait_css("#tree-build_or_partner").await;
    b.shot("charter-04-trees").await;
    b.close().await;
}
