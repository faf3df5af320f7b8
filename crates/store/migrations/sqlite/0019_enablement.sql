-- Enablement: curricula, courses, modules, assessment questions, enrolments with progress
-- per module, assessment attempts, certifications, and engagement events. SQLite
-- flavour; keep in step with migrations/postgres/0019_enablement.sql (same tables, columns
-- and index names).

CREATE TABLE curricula (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    description TEXT,
    -- "Grants certification X valid N months" on completing every published course.
    certification_name TEXT,
    validity_months INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE courses (
    id TEXT PRIMARY KEY,
    curriculum_id TEXT NOT NULL REFERENCES curricula (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    summary TEXT,
    status TEXT NOT NULL,
    pass_mark_pct INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    cooldown_hours INTEGER NOT NULL,
    certification_name TEXT,
    validity_months INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX courses_curriculum ON courses (curriculum_id, position);

CREATE TABLE course_modules (
    id TEXT PRIMARY KEY,
    course_id TEXT NOT NULL REFERENCES courses (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX course_modules_course ON course_modules (course_id, position);

-- The answer key (options with their `correct` flags, JSON) never leaves the store except
-- to vendor staff; attempts carry questions without it.
CREATE TABLE course_questions (
    id TEXT PRIMARY KEY,
    course_id TEXT NOT NULL REFERENCES courses (id),
    position INTEGER NOT NULL,
    prompt TEXT NOT NULL,
    kind TEXT NOT NULL,
    options TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX course_questions_course ON course_questions (course_id, position);

-- One enrolment per user and course (enrolling twice finds the first).
CREATE TABLE enrolments (
    id TEXT PRIMARY KEY,
    course_id TEXT NOT NULL REFERENCES courses (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    enrolled_at TEXT NOT NULL,
    last_module_id TEXT REFERENCES course_modules (id),
    completed_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX enrolments_user_course ON enrolments (user_id, course_id);
CREATE INDEX enrolments_course ON enrolments (course_id);
CREATE INDEX enrolments_partner ON enrolments (partner_id, enrolled_at);
CREATE INDEX enrolments_last_module ON enrolments (last_module_id);

CREATE TABLE module_progress (
    enrolment_id TEXT NOT NULL REFERENCES enrolments (id),
    module_id TEXT NOT NULL REFERENCES course_modules (id),
    completed_at TEXT NOT NULL,
    PRIMARY KEY (enrolment_id, module_id)
);
CREATE INDEX module_progress_module ON module_progress (module_id);

CREATE TABLE assessment_attempts (
    id TEXT PRIMARY KEY,
    enrolment_id TEXT NOT NULL REFERENCES enrolments (id),
    course_id TEXT NOT NULL REFERENCES courses (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    number INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    submitted_at TEXT,
    correct INTEGER,
    total INTEGER,
    score_pct INTEGER,
    passed INTEGER,
    -- The options chosen and the questions answered wrongly, JSON.
    answers TEXT,
    wrong TEXT
);
CREATE INDEX assessment_attempts_enrolment ON assessment_attempts (enrolment_id, started_at);
CREATE INDEX assessment_attempts_course ON assessment_attempts (course_id);
CREATE INDEX assessment_attempts_user ON assessment_attempts (user_id);
CREATE INDEX assessment_attempts_partner ON assessment_attempts (partner_id);
-- At most one attempt open per enrolment: a second start (a reload, a second tab, another
-- instance) finds the open one instead of opening another.
CREATE UNIQUE INDEX assessment_attempts_one_open ON assessment_attempts (enrolment_id) WHERE submitted_at IS NULL;

-- Valid from earned_on through expires_on (both included). The tier metric
-- certified_individuals counts a partner's distinct users holding one valid on the day.
CREATE TABLE certifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    earned_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    -- Set by the expiry job once the day after expires_on has come.
    expired_at TEXT,
    created_at TEXT NOT NULL
);
-- Earned once per user, course or curriculum and day, also when two completions race.
CREATE UNIQUE INDEX certifications_user_source_day ON certifications (user_id, source_id, earned_on);
CREATE INDEX certifications_partner ON certifications (partner_id, expires_on);
CREATE INDEX certifications_expires ON certifications (expires_on);

-- Engagement signals per partner and user (course completions, certifications; MDF and
-- campaign work add their kinds), the input of the engagement score.
CREATE TABLE engagement_events (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    user_id TEXT REFERENCES users (id),
    kind TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    ref_id TEXT
);
CREATE INDEX engagement_events_partner ON engagement_events (partner_id, occurred_at);
CREATE INDEX engagement_events_user ON engagement_events (user_id, occurred_at);
