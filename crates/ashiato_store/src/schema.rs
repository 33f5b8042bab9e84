// The one schema both backends share, kept by hand in diesel's common types (BigInt, Integer,
// Text, Bool). `tests/store` migrates SQLite and PostgreSQL and checks every table and column
// here against what each database really has, so an edit to a migration without an edit here
// (or the reverse) fails CI. Regenerate nothing: edit this file and both migration sets together.

//! Table definitions for diesel (see the comment at the top of `schema.rs`).
#![allow(missing_docs)]

diesel::table! {
    members (id) {
        id -> BigInt,
        email -> Text,
        nickname -> Text,
        password_hash -> Text,
        introduction -> Text,
        introduction_scope -> Text,
        birthday -> Nullable<Text>,
        birthday_scope -> Text,
        area -> Text,
        area_scope -> Text,
        friends_scope -> Text,
        default_diary_scope -> Text,
        stealth_footsteps -> Bool,
        search_opt_out -> Bool,
        language -> Text,
        is_admin -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        email_confirmed_at -> Nullable<BigInt>,
        suspended_at -> Nullable<BigInt>,
        suspended_reason -> Nullable<Text>,
    }
}

diesel::table! {
    profile_fields (id) {
        id -> BigInt,
        member_id -> BigInt,
        label -> Text,
        value -> Text,
        scope -> Text,
        position -> Integer,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        token_hash -> Text,
        email -> Nullable<Text>,
        inviter_id -> Nullable<BigInt>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        used_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        member_id -> Nullable<BigInt>,
        csrf_token -> Text,
        transport -> Text,
        subscriber_hash -> Nullable<Text>,
        easy_login -> Bool,
        flash -> Nullable<Text>,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
        device -> Nullable<Text>,
        carrier -> Nullable<Text>,
    }
}

diesel::table! {
    subscriber_bindings (subscriber_hash) {
        subscriber_hash -> Text,
        member_id -> BigInt,
        carrier -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    friendships (member_id,friend_id) {
        member_id -> BigInt,
        friend_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    friend_requests (id) {
        id -> BigInt,
        from_id -> BigInt,
        to_id -> BigInt,
        message -> Text,
        status -> Text,
        created_at -> BigInt,
        decided_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    introductions (author_id,subject_id) {
        author_id -> BigInt,
        subject_id -> BigInt,
        body -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    blocks (blocker_id,blocked_id) {
        blocker_id -> BigInt,
        blocked_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    diary_entries (id) {
        id -> BigInt,
        author_id -> BigInt,
        title -> Text,
        body -> Text,
        scope -> Text,
        comment_count -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    diary_comments (id) {
        id -> BigInt,
        entry_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    footsteps (owner_id,visitor_id,day) {
        owner_id -> BigInt,
        visitor_id -> BigInt,
        day -> BigInt,
        visited_at -> BigInt,
    }
}

diesel::table! {
    footstep_totals (owner_id) {
        owner_id -> BigInt,
        total -> BigInt,
    }
}

diesel::table! {
    communities (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        category -> Text,
        join_policy -> Text,
        topic_visibility -> Text,
        admin_id -> Nullable<BigInt>,
        member_count -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    community_members (community_id,member_id) {
        community_id -> BigInt,
        member_id -> BigInt,
        state -> Text,
        joined_at -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    topics (id) {
        id -> BigInt,
        community_id -> BigInt,
        author_id -> BigInt,
        title -> Text,
        body -> Text,
        comment_count -> Integer,
        created_at -> BigInt,
        last_activity_at -> BigInt,
        edited_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    topic_comments (id) {
        id -> BigInt,
        topic_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        created_at -> BigInt,
        edited_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        sender_id -> BigInt,
        recipient_id -> BigInt,
        subject -> Text,
        body -> Text,
        reply_to -> Nullable<BigInt>,
        created_at -> BigInt,
        read_at -> Nullable<BigInt>,
        sender_deleted -> Bool,
        recipient_deleted -> Bool,
    }
}

diesel::table! {
    photos (id) {
        id -> BigInt,
        owner_id -> BigInt,
        sha256 -> Text,
        format -> Text,
        width -> Integer,
        height -> Integer,
        frames -> Integer,
        byte_size -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    diary_photos (entry_id, position) {
        entry_id -> BigInt,
        position -> Integer,
        photo_id -> BigInt,
    }
}

diesel::table! {
    member_photos (member_id) {
        member_id -> BigInt,
        photo_id -> BigInt,
    }
}

diesel::table! {
    community_photos (community_id) {
        community_id -> BigInt,
        photo_id -> BigInt,
    }
}

diesel::table! {
    apps (id) {
        id -> BigInt,
        title -> Text,
        description -> Text,
        gadget_url -> Text,
        gadget_xml -> Text,
        start_url -> Text,
        allowed_hosts -> Text,
        consumer_key -> Text,
        consumer_secret -> Text,
        addapp_url -> Nullable<Text>,
        removeapp_url -> Nullable<Text>,
        event_method -> Text,
        signature_method -> Text,
        registered_by -> Nullable<BigInt>,
        created_at -> BigInt,
        review_state -> Text,
    }
}

diesel::table! {
    container_keys (name) {
        name -> Text,
        private_pem -> Text,
        public_pem -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    app_installs (app_id,member_id) {
        app_id -> BigInt,
        member_id -> BigInt,
        installed_at -> BigInt,
    }
}

diesel::table! {
    app_data (app_id,member_id,data_key) {
        app_id -> BigInt,
        member_id -> BigInt,
        data_key -> Text,
        data_value -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    activities (id) {
        id -> BigInt,
        app_id -> BigInt,
        member_id -> BigInt,
        title -> Text,
        body -> Text,
        url -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    oauth_nonces (consumer_key,nonce) {
        consumer_key -> Text,
        nonce -> Text,
        seen_at -> BigInt,
    }
}

diesel::table! {
    app_events (id) {
        id -> BigInt,
        app_id -> BigInt,
        member_id -> BigInt,
        event_type -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        sent_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    mail_bounces (address) {
        address -> Text,
        hard_bounces -> Integer,
        soft_bounces -> Integer,
        last_status -> Text,
        last_bounce_at -> BigInt,
        undeliverable_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    member_mail (member_id) {
        member_id -> BigInt,
        token_nonce -> Nullable<Text>,
        token_digest -> Nullable<Text>,
        phone_address -> Nullable<Text>,
        notify_friend_request -> Bool,
        notify_friend_accepted -> Bool,
        notify_message -> Bool,
        notify_comment -> Bool,
        notify_topic -> Bool,
        updated_at -> BigInt,
        phone_confirmed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> BigInt,
        purpose -> Text,
        member_id -> BigInt,
        email -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    mail_receipts (member_id, dedup_key) {
        member_id -> BigInt,
        dedup_key -> Text,
        action -> Text,
        target_id -> Nullable<BigInt>,
        received_at -> BigInt,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        member_id -> Nullable<BigInt>,
        to_address -> Text,
        kind -> Text,
        message -> Binary,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        claimed_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        sent_at -> Nullable<BigInt>,
        bounce_tag -> Text,
    }
}

diesel::table! {
    drafts (key_hash) {
        key_hash -> Text,
        member_id -> BigInt,
        target -> Text,
        fields -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor -> Text,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        target -> Text,
        reason -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    announcements (id) {
        id -> BigInt,
        title -> Text,
        body -> Text,
        starts_at -> BigInt,
        ends_at -> BigInt,
        created_by -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        reporter_id -> Nullable<BigInt>,
        target -> Text,
        category -> Text,
        note -> Text,
        state -> Text,
        action -> Text,
        resolution -> Text,
        handled_by -> Nullable<BigInt>,
        created_at -> BigInt,
        handled_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    tombstones (target) {
        target -> Text,
        reason -> Text,
        removed_at -> BigInt,
    }
}

diesel::table! {
    mutes (member_id, muted_id) {
        member_id -> BigInt,
        muted_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::joinable!(profile_fields -> members (member_id));
diesel::joinable!(sessions -> members (member_id));
diesel::joinable!(subscriber_bindings -> members (member_id));
diesel::joinable!(diary_entries -> members (author_id));
diesel::joinable!(diary_comments -> diary_entries (entry_id));
diesel::joinable!(diary_comments -> members (author_id));
diesel::joinable!(footstep_totals -> members (owner_id));
diesel::joinable!(communities -> members (admin_id));
diesel::joinable!(community_members -> communities (community_id));
diesel::joinable!(community_members -> members (member_id));
diesel::joinable!(topics -> communities (community_id));
diesel::joinable!(topics -> members (author_id));
diesel::joinable!(topic_comments -> topics (topic_id));
diesel::joinable!(topic_comments -> members (author_id));
diesel::joinable!(photos -> members (owner_id));
diesel::joinable!(diary_photos -> photos (photo_id));
diesel::joinable!(diary_photos -> diary_entries (entry_id));
diesel::joinable!(member_photos -> photos (photo_id));
diesel::joinable!(community_photos -> photos (photo_id));
diesel::joinable!(app_installs -> apps (app_id));
diesel::joinable!(app_installs -> members (member_id));
diesel::joinable!(activities -> apps (app_id));
diesel::joinable!(member_mail -> members (member_id));
diesel::joinable!(mail_receipts -> members (member_id));
diesel::joinable!(mail_outbox -> members (member_id));
diesel::joinable!(account_tokens -> members (member_id));
diesel::joinable!(drafts -> members (member_id));

diesel::allow_tables_to_appear_in_same_query!(
    mail_bounces,
    apps,
    container_keys,
    app_installs,
    app_data,
    activities,
    oauth_nonces,
    app_events,
    photos,
    diary_photos,
    member_photos,
    community_photos,
    members,
    profile_fields,
    invitations,
    sessions,
    subscriber_bindings,
    friendships,
    friend_requests,
    introductions,
    blocks,
    diary_entries,
    diary_comments,
    footsteps,
    footstep_totals,
    communities,
    community_members,
    topics,
    topic_comments,
    messages,
    member_mail,
    mail_receipts,
    mail_outbox,
    account_tokens,
    drafts,
    audit_log,
    announcements,
    reports,
    tombstones,
    mutes,
);
