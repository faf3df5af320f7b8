//! The console's enablement pages over plain HTTP: staff author a course through the forms
//! and see every partner's progress and certifications.

use hyper::StatusCode;

use super::learning;
use crate::harness::TestApp;
use crate::on_both;
use crate::session::vendor_session;

on_both!(staff_author_and_oversee_in_the_console);

async fn staff_author_and_oversee_in_the_console(app: TestApp) {
    let w = app.world().await;
    let l = learning(&app, &w, &w.a, "Console").await;
    let (session, csrf) = vendor_session(&app, &w).await;
    let page = app.http.page("/console/enablement", &session).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(
        page.text().contains("Console curriculum"),
        "{}",
        page.text()
    );
    // A new course through the form lands on its page.
    let r = app
        .http
        .form(
            "/console/enablement/courses",
            &session,
            &[
                ("_csrf", csrf.as_str()),
                ("curriculum_id", l.course.curriculum.as_str()),
                ("title", "Objection handling"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let course = r.header("location").unwrap();
    // A module, a question (a blank option is skipped) and the settings.
    for (action, fields) in [
        (
            "module",
            vec![
                ("module_title", "Price"),
                (
                    "module_body",
                    "## Too expensive?\n\nAsk *compared to what*.",
                ),
            ],
        ),
        (
            "question",
            vec![
                ("prompt", "What do you ask first?"),
                ("question_kind", "single"),
                ("option_0", "Compared to what?"),
                ("option_1", "How much is your budget?"),
                ("option_2", ""),
                ("correct", "0"),
            ],
        ),
        (
            "settings",
            vec![
                ("title", "Objection handling"),
                ("status", "published"),
                ("curriculum_id", l.course.curriculum.as_str()),
                ("pass_mark_pct", "75"),
                ("max_attempts", "3"),
                ("cooldown_hours", "12"),
                ("certification_name", ""),
            ],
        ),
    ] {
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend(fields);
        let r = app
            .http
            .form(&format!("{course}/{action}"), &session, &all, &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.text());
    }
    let page = app.http.page(&course, &session).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(
        text.contains("Too expensive") || text.contains("Price"),
        "{text}"
    );
    assert!(
        text.contains("Compared to what?") && text.contains("right"),
        "{text}"
    );
    assert!(
        text.contains("pass mark 75%") && text.contains("12 h cool-down"),
        "{text}"
    );
    // A refused form comes back with the rule beside the field.
    let r = app
        .http
        .form(
            &format!("{course}/settings"),
            &session,
            &[("_csrf", csrf.as_str()), ("pass_mark_pct", "0")],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.text().contains("pass_mark_pct must be between 1 and 100")
            || r.text().contains("Must be between 1 and 100"),
        "{}",
        r.text()
    );
    // Progress and certifications across partners.
    let page = app
        .http
        .page(
            &format!("/console/enablement/courses/{}", l.course.course),
            &session,
        )
        .await;
    assert!(page.text().contains(&w.a.partner.name), "{}", page.text());
    let page = app
        .http
        .page("/console/enablement/certifications?state=valid", &session)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Console certified"), "{}", page.text());

    // The media library: an image is stored by us and its Markdown shows it in a module;
    // HTML is refused by its content, whatever its name.
    let r = app
        .http
        .multipart(
            &format!("{course}/media"),
            ("cookie", &session),
            &[("_csrf", &csrf)],
            &[("media", "diagram.png", crate::file::PNG)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let text = app.http.page(&course, &session).await.text();
    let start = text
        .find("![diagram.png](/files/")
        .expect("the image's Markdown")
        + 2;
    let markdown = text[start - 2..].split('<').next().unwrap().to_owned();
    let src = markdown["![diagram.png](".len()..markdown.len() - 1].to_owned();
    let r = app.http.page(&src, &session).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.as_ref(), crate::file::PNG);
    let r = app
        .http
        .form(
            &format!("{course}/module"),
            &session,
            &[
                ("_csrf", csrf.as_str()),
                ("module_title", "The diagram"),
                ("module_body", &format!("See:\n\n{markdown}")),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = app
        .http
        .multipart(
            &format!("{course}/media"),
            ("cookie", &session),
            &[("_csrf", &csrf)],
            &[(
                "media",
                "slides.png",
                b"<html><script>alert(1)</script></html>",
            )],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // Partners' people read course media.
    crate::session::set_password(&app, &w.a.rep).await;
    let (rep, _) = crate::session::partner_session(&app, &w.a.rep).await;
    let r = app.http.page(&src, &rep).await;
    assert_eq!(r.status, StatusCode::OK);
}
