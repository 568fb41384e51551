"""The onboarding questionnaire, as data. Bump VERSION whenever a question or choice changes;
each saved answer records the version it was given against."""

VERSION = 1

ROLE_CHOICES = [
    ("creator", "Creator"),
    ("agency", "Agency"),
    ("brand", "Brand"),
    ("developer", "Developer"),
    ("other", "Other"),
]
TEAM_SIZE_CHOICES = [
    ("1", "Just me"),
    ("2-5", "2–5 people"),
    ("6-20", "6–20 people"),
    ("21-100", "21–100 people"),
    ("100+", "More than 100"),
]
GOAL_CHOICES = [
    ("virtual_influencer", "Run a virtual influencer"),
    ("client_content", "Produce content for clients"),
    ("brand_mascot", "Create a brand mascot or ambassador"),
    ("own_likeness", "Content with my own likeness"),
    ("product_marketing", "Product and e-commerce shots"),
    ("exploring", "Just exploring"),
]
PLATFORM_CHOICES = [
    ("instagram", "Instagram"),
    ("tiktok", "TikTok"),
    ("youtube", "YouTube"),
    ("x", "X / Twitter"),
    ("onlyfans", "Subscription platforms"),
    ("website", "Websites and ads"),
    ("other", "Other"),
]
VOLUME_CHOICES = [
    ("<100", "Fewer than 100"),
    ("100-500", "100–500"),
    ("500-2000", "500–2,000"),
    ("2000-10000", "2,000–10,000"),
    ("10000+", "More than 10,000"),
]
HEARD_FROM_CHOICES = [
    ("search", "Search engine"),
    ("social", "Social media"),
    ("friend", "A friend or colleague"),
    ("youtube", "YouTube"),
    ("blog", "Blog or article"),
    ("ai_assistant", "An AI assistant"),
    ("other", "Somewhere else"),
]
