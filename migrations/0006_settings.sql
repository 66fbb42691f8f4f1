-- Settings (contract §3.10): the salon's identity, contacts, weekly hours, booking rules and
-- reminder timing, and the personal fields of a staff member's own profile.
--
-- Salon settings are columns of `salons` (one row per salon, already fenced by its own RLS
-- policy and readable by the modules that need a rule, such as availability reading
-- slot_step_minutes), next to name, timezone, currency and slot_step_minutes.

alter table salons
    add column legal_name               text not null default '' check (length(legal_name) <= 200),
    add column city                     text not null default '' check (length(city) <= 100),
    add column address                  text not null default '' check (length(address) <= 300),
    add column phone                    text not null default '' check (length(phone) <= 32),
    add column email                    text not null default '' check (length(email) <= 254),
    add column website                  text not null default '' check (length(website) <= 300),
    add column description              text not null default '' check (length(description) <= 2000),
    add column opening_date             date,
    add column instagram_url            text not null default '' check (length(instagram_url) <= 300),
    add column facebook_url             text not null default '' check (length(facebook_url) <= 300),
    add column telegram_url             text not null default '' check (length(telegram_url) <= 300),
    -- Day key (mon..sun) -> {"start": "HH:MM", "end": "HH:MM", "isOpen": bool}; checked in Rust,
    -- the defaults are the settings screen's (weekdays 09:00-18:00, weekend 10:00-16:00 off).
    add column working_hours            jsonb not null default '{
        "mon": {"start": "09:00", "end": "18:00", "isOpen": true},
        "tue": {"start": "09:00", "end": "18:00", "isOpen": true},
        "wed": {"start": "09:00", "end": "18:00", "isOpen": true},
        "thu": {"start": "09:00", "end": "18:00", "isOpen": true},
        "fri": {"start": "09:00", "end": "18:00", "isOpen": true},
        "sat": {"start": "10:00", "end": "16:00", "isOpen": false},
        "sun": {"start": "10:00", "end": "16:00", "isOpen": false}
    }' check (jsonb_typeof(working_hours) = 'object'),
    -- How long before an appointment its reminder goes out.
    add column reminder_hours_before    int not null default 24 check (reminder_hours_before between 0 and 168),
    -- Online booking: the earliest start (minutes from now), how far ahead, and until when a
    -- client may cancel (hours before the start).
    add column online_booking_enabled   boolean not null default true,
    add column booking_min_lead_minutes int not null default 60 check (booking_min_lead_minutes between 0 and 10080),
    add column booking_horizon_days     int not null default 60 check (booking_horizon_days between 1 and 365),
    add column cancellation_window_hours int not null default 24 check (cancellation_window_hours between 0 and 720);

alter table users
    -- Free-form UI preferences of the user (theme, language, notification switches).
    add column preferences       jsonb not null default '{}' check (jsonb_typeof(preferences) = 'object'),
    add column birth_date        date,
    add column address           text check (length(address) <= 300),
    add column emergency_contact text check (length(emergency_contact) <= 200),
    add column emergency_phone   text check (length(emergency_phone) <= 32),
    add column specialization    text check (length(specialization) <= 200),
    -- The file-store key of the avatar this server stored (avatar_url is its public URL), so a
    -- replaced or removed avatar's file can be deleted; null for URLs set any other way.
    add column avatar_key        text check (length(avatar_key) <= 512);
