// Diesel table definitions, written by hand to match both migration folders.

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        cooldown_days -> Integer,
        max_active_assignments -> Integer,
        min_sample_size -> Integer,
        geofence_radius_m -> Integer,
        shoppers_see_scores -> Bool,
        reimbursement_cap_minor -> BigInt,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        organization_id -> Text,
        email -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        active -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        replaced_by -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_throttle (email) {
        email -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
        blocked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        prefix -> Text,
        secret_hash -> Text,
        scopes -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    standards_books (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    standards_book_versions (id) {
        id -> Text,
        book_id -> Text,
        organization_id -> Text,
        version -> Integer,
        status -> Text,
        revision -> Integer,
        name -> Text,
        content -> Text,
        content_hash -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        published_by -> Nullable<Text>,
    }
}

diesel::table! {
    checklists (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    checklist_versions (id) {
        id -> Text,
        checklist_id -> Text,
        organization_id -> Text,
        version -> Integer,
        status -> Text,
        revision -> Integer,
        name -> Text,
        book_version_id -> Text,
        channel -> Text,
        content -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        published_by -> Nullable<Text>,
    }
}

diesel::table! {
    locations (id) {
        id -> Text,
        organization_id -> Text,
        code -> Text,
        name -> Text,
        region -> Text,
        segment -> Text,
        address -> Text,
        latitude -> Double,
        longitude -> Double,
        geofence_radius_m -> Integer,
        time_zone -> Text,
        channels -> Text,
        active -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    shopper_profiles (user_id) {
        user_id -> Text,
        organization_id -> Text,
        home_region -> Nullable<Text>,
        languages -> Text,
        segments -> Text,
        version -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    shopper_exclusions (shopper_id, location_id) {
        shopper_id -> Text,
        location_id -> Text,
        organization_id -> Text,
        reason -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    assignments (id) {
        id -> Text,
        organization_id -> Text,
        location_id -> Text,
        checklist_version_id -> Text,
        channel -> Text,
        segment -> Text,
        scenario -> Text,
        window_start -> Timestamp,
        window_end -> Timestamp,
        fee_cents -> BigInt,
        currency -> Text,
        shopper_id -> Nullable<Text>,
        status -> Text,
        wave_id -> Nullable<Text>,
        version -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        check_in_at -> Nullable<Timestamp>,
        check_in_latitude -> Nullable<Double>,
        check_in_longitude -> Nullable<Double>,
        check_in_accuracy_m -> Nullable<Double>,
        check_in_device_time -> Nullable<Timestamp>,
        check_in_distance_m -> Nullable<Double>,
        reimbursement_cap_minor -> BigInt,
        required_quiz_id -> Nullable<Text>,
        partner_assignment_id -> Nullable<Text>,
    }
}

diesel::table! {
    assignment_events (id) {
        id -> Text,
        assignment_id -> Text,
        organization_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Nullable<Text>,
        shopper_id -> Nullable<Text>,
        reason -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    submissions (id) {
        id -> Text,
        organization_id -> Text,
        assignment_id -> Text,
        shopper_id -> Text,
        status -> Text,
        content -> Text,
        content_hash -> Text,
        visit_start -> Nullable<Timestamp>,
        visit_end -> Nullable<Timestamp>,
        received_at -> Timestamp,
        clock_skew_seconds -> Nullable<BigInt>,
        flags -> Text,
        scores -> Nullable<Text>,
        raw_score -> Nullable<Double>,
        visit_score -> Nullable<Double>,
        critical_failure -> Bool,
        review -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        reviewed_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<Text>,
        region -> Nullable<Text>,
        segment -> Nullable<Text>,
        grade -> Nullable<Integer>,
    }
}

diesel::table! {
    submission_edits (id) {
        id -> Text,
        submission_id -> Text,
        organization_id -> Text,
        item_key -> Text,
        old_answer -> Nullable<Text>,
        new_answer -> Text,
        reason -> Text,
        edited_by -> Nullable<Text>,
        edited_at -> Timestamp,
        superseded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        state -> Text,
        status -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attachments (organization_id, id) {
        id -> Text,
        organization_id -> Text,
        submission_id -> Text,
        shopper_id -> Text,
        item_key -> Nullable<Text>,
        kind -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        object_path -> Text,
        created_at -> Timestamp,
        analysis -> Nullable<Text>,
        analysis_note -> Nullable<Text>,
        perceptual_hash -> Nullable<BigInt>,
        captured_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    photo_hash_bands (organization_id, band_key, attachment_id) {
        organization_id -> Text,
        band_key -> Integer,
        attachment_id -> Text,
        submission_id -> Text,
    }
}

diesel::table! {
    photo_matches (organization_id, attachment_id, other_attachment_id) {
        organization_id -> Text,
        attachment_id -> Text,
        other_attachment_id -> Text,
        submission_id -> Text,
        other_submission_id -> Text,
        distance -> Integer,
        found_at -> Timestamp,
    }
}

diesel::table! {
    calibration_cells (organization_id, location_id, period_start, standard_code, shopper_id) {
        organization_id -> Text,
        location_id -> Text,
        period_start -> Date,
        standard_code -> Text,
        shopper_id -> Text,
        n -> BigInt,
        sum_value -> Double,
        sum_squares -> Double,
    }
}

diesel::table! {
    shopper_leniency (organization_id, shopper_id, standard_code, period_start) {
        organization_id -> Text,
        shopper_id -> Text,
        standard_code -> Text,
        period_start -> Date,
        n -> BigInt,
        sum_diff -> Double,
        sum_squares_diff -> Double,
    }
}

diesel::table! {
    rater_agreement (organization_id, shopper_a, shopper_b, period_start, category_a, category_b) {
        organization_id -> Text,
        shopper_a -> Text,
        shopper_b -> Text,
        period_start -> Date,
        category_a -> Text,
        category_b -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    rater_pairs (organization_id, shopper_a, shopper_b, period_start) {
        organization_id -> Text,
        shopper_a -> Text,
        shopper_b -> Text,
        period_start -> Date,
        shops -> BigInt,
    }
}

diesel::table! {
    corrective_actions (id) {
        id -> Text,
        organization_id -> Text,
        location_id -> Text,
        standard_code -> Text,
        kind -> Text,
        status -> Text,
        owner_id -> Text,
        due_date -> Date,
        plan -> Text,
        reshop_count -> Integer,
        target -> Double,
        baseline_from -> Date,
        baseline_to -> Date,
        baseline_n -> BigInt,
        baseline_units -> BigInt,
        done_at -> Nullable<Timestamp>,
        round -> Integer,
        verified_compliance -> Nullable<Double>,
        decided_at -> Nullable<Timestamp>,
        revision -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    corrective_action_events (id) {
        id -> Text,
        action_id -> Text,
        organization_id -> Text,
        change -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Nullable<Text>,
        note -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    training_sessions (id) {
        id -> Text,
        action_id -> Text,
        organization_id -> Text,
        held_on -> Date,
        standards -> Text,
        protocols -> Text,
        attendees -> Integer,
        notes -> Text,
        recorded_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    verification_reshops (assignment_id) {
        assignment_id -> Text,
        action_id -> Text,
        organization_id -> Text,
        round -> Integer,
        state -> Text,
        compliance -> Nullable<Double>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(submissions -> assignments (assignment_id));
diesel::joinable!(assignments -> locations (location_id));
diesel::joinable!(shopper_exclusions -> locations (location_id));
diesel::joinable!(standards_book_versions -> standards_books (book_id));
diesel::joinable!(checklist_versions -> checklists (checklist_id));
diesel::joinable!(api_keys -> organizations (organization_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    rollups (organization_id, subject, grain, period_start, subject_key, location_id, region, segment, channel, checklist_id) {
        organization_id -> Text,
        subject -> Text,
        grain -> Text,
        period_start -> Date,
        subject_key -> Text,
        location_id -> Text,
        region -> Text,
        segment -> Text,
        channel -> Text,
        checklist_id -> Text,
        n -> BigInt,
        sum_units -> BigInt,
        critical_failures -> BigInt,
    }
}

diesel::table! {
    self_assessments (id) {
        id -> Text,
        organization_id -> Text,
        location_id -> Nullable<Text>,
        standard_code -> Text,
        period_from -> Date,
        period_to -> Date,
        believed -> Double,
        note -> Nullable<Text>,
        recorded_by -> Nullable<Text>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    pending_maintenance (task) {
        task -> Text,
    }
}

diesel::table! {
    survey_instrument_versions (id) {
        id -> Text,
        instrument_id -> Text,
        organization_id -> Text,
        version -> Integer,
        status -> Text,
        revision -> Integer,
        name -> Text,
        book_version_id -> Text,
        audience -> Text,
        content -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        published_by -> Nullable<Text>,
    }
}

diesel::table! {
    promises (id) {
        id -> Text,
        organization_id -> Text,
        standard_code -> Text,
        text -> Text,
        source -> Text,
        channels -> Text,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        promised_level -> Double,
        revision -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    survey_links (id) {
        id -> Text,
        organization_id -> Text,
        instrument_version_id -> Text,
        location_id -> Text,
        channel -> Text,
        token -> Text,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    survey_invitations (id) {
        id -> Text,
        organization_id -> Text,
        instrument_version_id -> Text,
        location_id -> Text,
        channel -> Text,
        code_hash -> Text,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        spent_at -> Nullable<Timestamp>,
        response_id -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    survey_responses (id) {
        id -> Text,
        organization_id -> Text,
        audience -> Text,
        instrument_version_id -> Text,
        link_id -> Nullable<Text>,
        invitation_id -> Nullable<Text>,
        respondent_id -> Nullable<Text>,
        location_id -> Text,
        region -> Text,
        segment -> Text,
        channel -> Text,
        period_start -> Date,
        period_end -> Date,
        language -> Text,
        answers -> Text,
        fingerprint -> Text,
        flags -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    survey_rollups (organization_id, audience, grain, subject_key, location_id, region, segment, channel, period_start, period_end) {
        organization_id -> Text,
        audience -> Text,
        grain -> Text,
        subject_key -> Text,
        location_id -> Text,
        region -> Text,
        segment -> Text,
        channel -> Text,
        period_start -> Date,
        period_end -> Date,
        responses -> BigInt,
        n_expectation -> BigInt,
        sum_expectation -> BigInt,
        sumsq_expectation -> BigInt,
        n_perception -> BigInt,
        sum_perception -> BigInt,
        sumsq_perception -> BigInt,
        n_difference -> BigInt,
        sum_difference -> BigInt,
        sumsq_difference -> BigInt,
    }
}

diesel::table! {
    /// The outbox; `tx_order` is filled by the database (see the migration).
    events (seq) {
        seq -> BigInt,
        id -> Text,
        organization_id -> Text,
        event_type -> Text,
        occurred_at -> Timestamp,
        payload -> Text,
        tx_order -> BigInt,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        organization_id -> Text,
        url -> Text,
        description -> Text,
        event_types -> Text,
        active -> Bool,
        secret_sealed -> Text,
        previous_secret_sealed -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        failing_since -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        version -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        organization_id -> Text,
        endpoint_id -> Text,
        event_id -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        endpoint_id -> Text,
        organization_id -> Text,
        attempt -> Integer,
        started_at -> Timestamp,
        status_code -> Nullable<Integer>,
        latency_ms -> Integer,
        error -> Nullable<Text>,
        response_excerpt -> Nullable<Text>,
    }
}

diesel::table! {
    outbox_cursors (name) {
        name -> Text,
        tx_order -> BigInt,
        seq -> BigInt,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::allow_tables_to_appear_in_same_query!(
    events,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts
);

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    rollups,
    self_assessments,
    users,
    refresh_tokens,
    sessions,
    login_throttle,
    api_keys,
    standards_books,
    standards_book_versions,
    checklists,
    checklist_versions,
    locations,
    shopper_profiles,
    shopper_exclusions,
    assignments,
    assignment_events,
    submissions,
    submission_edits,
    attachments,
    photo_hash_bands,
    photo_matches,
    calibration_cells,
    shopper_leniency,
    rater_agreement,
    rater_pairs,
);

diesel::table! {
    reimbursements (id) {
        id -> Text,
        organization_id -> Text,
        submission_id -> Text,
        shopper_id -> Text,
        line_key -> Text,
        category -> Text,
        description -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        receipt_attachment_id -> Nullable<Text>,
        status -> Text,
        approved_minor -> Nullable<BigInt>,
        decision_note -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    payment_batches (id) {
        id -> Text,
        organization_id -> Text,
        period_from -> Date,
        period_to -> Date,
        status -> Text,
        note -> Nullable<Text>,
        reference -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
        paid_by -> Nullable<Text>,
        cancelled_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    payables (id) {
        id -> Text,
        organization_id -> Text,
        shopper_id -> Text,
        submission_id -> Text,
        assignment_id -> Text,
        kind -> Text,
        reimbursement_id -> Nullable<Text>,
        reverses_id -> Nullable<Text>,
        amount_minor -> BigInt,
        currency -> Text,
        earned_at -> Timestamp,
        batch_id -> Nullable<Text>,
        voided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    quizzes (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    quiz_versions (id) {
        id -> Text,
        quiz_id -> Text,
        organization_id -> Text,
        version -> Integer,
        status -> Text,
        revision -> Integer,
        name -> Text,
        checklist_id -> Text,
        content -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        published_by -> Nullable<Text>,
    }
}

diesel::table! {
    quiz_attempts (id) {
        id -> Text,
        organization_id -> Text,
        quiz_id -> Text,
        quiz_version_id -> Text,
        shopper_id -> Text,
        answers -> Text,
        correct -> Integer,
        total -> Integer,
        passed -> Bool,
        at -> Timestamp,
    }
}

diesel::table! {
    shopper_reputation (shopper_id) {
        shopper_id -> Text,
        organization_id -> Text,
        submitted -> BigInt,
        on_time -> BigInt,
        expired -> BigInt,
        returned -> BigInt,
        approved -> BigInt,
        rejected -> BigInt,
        grade_sum -> BigInt,
        graded -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(payables -> payment_batches (batch_id));
diesel::allow_tables_to_appear_in_same_query!(payables, payment_batches, users, reimbursements);
diesel::allow_tables_to_appear_in_same_query!(shopper_reputation, users);
diesel::allow_tables_to_appear_in_same_query!(quiz_versions, quizzes, quiz_attempts);

diesel::table! {
    /// Open assignments per location, kept by database triggers (migration 000025).
    location_open_jobs (location_id) {
        location_id -> Text,
        organization_id -> Text,
        open_jobs -> BigInt,
    }
}

diesel::joinable!(location_open_jobs -> locations (location_id));
diesel::allow_tables_to_appear_in_same_query!(location_open_jobs, locations);
