//! Strings of the pairing page (`/web/admin/pairing`): (key, English, 简体中文).

pub const STRINGS: &[(&str, &str, &str)] = &[
    ("pair_title", "Pair a phone", "绑定手机"),
    ("pair_heading", "Pair {name}'s phone", "为{name}绑定手机"),
    (
        "pair_explain",
        "A one-time code lets the Fieldledger app on this person's phone sign in to each of their projects. It works once and for 15 minutes: make it when the phone is at hand.",
        "一次性绑定码让此人手机上的 Fieldledger 应用登录其所有项目。绑定码只能用一次，15 分钟内有效：请在手机在手边时生成。",
    ),
    ("pair_make", "Make a pairing code", "生成绑定码"),
    ("pair_scan", "In the app, choose Pair and scan this code:", "在应用中选择“绑定”，扫描此二维码："),
    ("pair_qr_label", "QR code for pairing the phone", "绑定手机的二维码"),
    ("pair_or_type", "Or type this code:", "或输入绑定码："),
    ("pair_expires", "Valid until {when}.", "有效期至 {when}。"),
    (
        "pair_once",
        "It works once. Anyone holding it can pair a phone as this person: show it only to them.",
        "绑定码只能使用一次。持有它的人都能以此人身份绑定手机：只给本人看。",
    ),
    ("pair_link", "The link in the QR code", "二维码中的链接"),
    ("pair_back", "Back to devices", "返回设备管理"),
];
