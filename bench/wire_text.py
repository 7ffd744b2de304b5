"""The words the wire builder (bench/wire.py) fills in: site names, furniture templates, synonyms.

Furniture is what real republisher pages carry around a wire story in a full-content feed (nav
lines, share lines, newsletter pitches, author bios, copyright lines, related-links lists); the
templates are written here, filled with each site's name. The synonyms are frequent words of
NewsArticles (about one word in five of its text) and what a copy editor swaps them for.
"""

from __future__ import annotations

import re

TOWNS = re.findall(
    r"\w+",
    "Ashford Bayview Brookfield Cedar Clearwater Dunmore Eastport Elmwood Fairhaven Glenrock Granite "
    "Harbor Highland Kingsley Lakeside Maple Marlow Millbrook Northgate Oakridge Pinecrest Redwood "
    "Riverton Rosedale Salem Shelby Stonebridge Summit Thornbury Valley Westfield Willow Windham "
    "Yorkton Ironwood Silverton Foxborough Hollis Kensington Larchmont Alder Beacon Bramley Carlow "
    "Dalton Easton Fenwick Garland Hadley Irving Jasper Keswick Linden Medford Newbury Orwell Preston "
    "Quincy Rutland Sutton Tilbury Upton Vernon Walden Exmoor Yardley Zenith Ambler Belmont Camden "
    "Denby Emerson Fulton Grafton Hampton Ingram Kendal Lowell Milton Norwood",
)
PAPERS = re.findall(
    r"\w+",
    "Herald Gazette Courier Tribune Post Daily Chronicle Observer Ledger Times Sentinel Journal Record "
    "Examiner Dispatch Bulletin Register Star Sun Mirror Press Leader Review Standard Telegraph Voice "
    "Eagle Mail Today Online",
)
FIRST_NAMES = re.findall(
    r"\w+",
    "Anna Ben Carla David Elena Frank Grace Henry Irene James Karen Liam Maria Noah Olivia Peter Rachel "
    "Samuel Tara Victor Wendy Adam Beth Colin Diane Ethan Fiona George Hannah Ian",
)
LAST_NAMES = re.findall(
    r"\w+",
    "Abbott Baker Carter Dawson Ellis Foster Grant Hughes Ingram Jensen Keller Lawson Morgan Nolan "
    "Owens Parker Quinn Reyes Shaw Turner Underwood Vance Walsh Young Barnes Cole Doyle Fisher",
)
SECTIONS = re.findall(
    r"\w+",
    "News Local World Politics Business Sports Opinion Entertainment Lifestyle Obituaries Weather "
    "Health Technology Science Travel Education Crime Community Video Photos Podcasts Classifieds",
)
BEATS = (
    "world affairs",
    "politics and government",
    "breaking news",
    "business and the economy",
    "international news",
    "the state legislature",
    "public safety",
    "foreign policy",
)
SHARE = (
    "Share this article: Facebook Twitter Email",
    "Share on Facebook Share on Twitter Share via Email Print this article",
    "SHARE: Facebook | Twitter | LinkedIn | WhatsApp",
    "Click to share on Facebook (Opens in new window) Click to share on Twitter (Opens in new window)",
    "Share Tweet Email Print Comments",
    "Like this story? Share it with your friends on Facebook and Twitter.",
)
NEWSLETTER = (
    "Sign up for the {s} newsletter and get the day's top stories delivered to your inbox every morning.",
    "Get the latest headlines from {s} in your inbox: subscribe to our free daily briefing.",
    "Never miss a story: sign up for {s}'s breaking news alerts and our weekly roundup.",
    "Want more stories like this? Subscribe to {s} for unlimited digital access for just $1 a week.",
    "Support local journalism. Become a {s} member today and read every story without limits.",
)
COPYRIGHT = (
    "© 2017 {s}. All rights reserved.",
    "Copyright © 2017 {s}. All Rights Reserved. This material may not be republished without permission.",
    "Copyright 2017 {s} | Privacy Policy | Terms of Use | Contact Us",
    "All content © {s} 2017 unless otherwise noted.",
    "{s} is published by {o} Media Group. © 2017 {o} Media Group. All rights reserved.",
)
COMMENTS = (
    "Comments are moderated. Please keep the discussion civil and on topic.",
    "Join the conversation: leave a comment below.",
    "Have your say: comments are open for 48 hours after publication.",
    "We welcome your comments. Read our community guidelines before you post.",
)
RELATED_HEADS = ("Related:", "RELATED STORIES", "You may also like", "More from {s}", "READ MORE")
INSIDE = ("Advertisement", "Story continues below advertisement", "ADVERTISEMENT", "Continue Reading Below")
TEASER_TAILS = ("...", "…", " […]", " Read more", "... Read more »", " Continue reading...")
CREDIT_FORMS = (
    "Source: {a}",
    "Source: {a}",
    "This article first appeared on {a}.",
    "Originally published by {a}.",
    "Credit: {a}",
    "Via {a}",
    "Republished with permission from {a}.",
)
# Headlines that different short texts share word for word (issue 25: must never merge on their own).
GENERIC_HEADLINES = (
    "Police appeal for witnesses",
    "Two killed in road accident",
    "Talks to resume next week",
    "Death toll rises",
    "Government announces new measures",
    "Protesters gather in capital",
    "Minister under pressure to resign",
    "Markets close higher",
    "Investigation launched",
    "Officials confirm arrests",
    "Court delays ruling",
    "Leaders meet for talks",
)
SPELLED = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "dozen", "hundred")
SUBSTITUTE = {
    "said": "says",
    "says": "said",
    "told": "said to",
    "on Monday": "Monday",
    "percent": "per cent",
}
# Words a paraphrase or a copy editor swaps (news text's frequent words; about one word in five).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "said": ("stated", "added", "noted"),
    "says": ("states", "adds", "notes"),
    "told": ("informed",),
    "also": ("as well",),
    "people": ("residents", "citizens", "individuals"),
    "government": ("administration", "authorities", "cabinet"),
    "country": ("nation",),
    "countries": ("nations", "states"),
    "president": ("leader", "head of state"),
    "after": ("following",),
    "before": ("prior to", "ahead of"),
    "about": ("around", "some", "roughly"),
    "because": ("as", "since"),
    "but": ("however,", "yet"),
    "however": ("but", "still"),
    "many": ("numerous", "several", "a number of"),
    "new": ("fresh", "latest"),
    "year": ("twelve months",),
    "against": ("versus",),
    "between": ("among",),
    "including": ("among them", "such as"),
    "world": ("globe",),
    "most": ("the majority of",),
    "make": ("create",),
    "made": ("created",),
    "work": ("effort",),
    "state": ("government",),
    "police": ("officers", "law enforcement"),
    "officials": ("authorities", "representatives"),
    "killed": ("left dead", "slain"),
    "attack": ("assault", "strike"),
    "announced": ("unveiled", "declared"),
    "reported": ("said", "stated"),
    "expected": ("anticipated", "likely"),
    "help": ("assist", "aid"),
    "support": ("backing",),
    "meeting": ("talks", "session"),
    "talks": ("negotiations", "discussions"),
    "called": ("urged", "described as"),
    "important": ("key", "crucial", "significant"),
    "major": ("big", "significant"),
    "big": ("large", "major"),
    "large": ("big", "sizeable"),
    "small": ("little", "minor"),
    "number": ("figure", "total"),
    "show": ("reveal", "indicate"),
    "showed": ("revealed", "indicated"),
    "began": ("started",),
    "start": ("begin",),
    "end": ("conclusion",),
    "ended": ("concluded",),
    "plan": ("proposal", "scheme"),
    "plans": ("proposals", "intends"),
    "still": ("yet", "nonetheless"),
    "now": ("currently",),
    "recent": ("latest",),
    "later": ("afterwards", "subsequently"),
    "already": ("by now",),
    "very": ("highly", "extremely"),
    "would": ("will",),
    "will": ("would", "is set to"),
    "could": ("may", "might"),
    "may": ("might", "could"),
    "should": ("ought to",),
    "want": ("wish", "seek"),
    "need": ("require",),
    "get": ("obtain", "receive"),
    "took": ("seized", "assumed"),
    "came": ("arrived",),
    "left": ("departed",),
    "think": ("believe",),
    "issue": ("matter", "question"),
    "issues": ("matters", "concerns"),
    "problem": ("difficulty", "challenge"),
    "decision": ("ruling", "move"),
    "several": ("a number of", "various"),
    "increase": ("rise", "growth"),
    "economic": ("financial",),
    "political": ("policy",),
    "military": ("armed forces", "army"),
    "city": ("town",),
    "children": ("kids", "youngsters"),
    "women": ("females",),
    "company": ("firm", "business"),
    "companies": ("firms", "businesses"),
    "percent": ("per cent",),
    "million": ("m",),
    "billion": ("bn",),
    "during": ("throughout", "in"),
    "while": ("whereas", "as"),
    "since": ("after",),
    "around": ("about", "nearly"),
    "likely": ("probably", "expected to"),
    "according": ("citing",),
    "statement": ("release", "communique"),
    "added": ("continued",),
    "asked": ("questioned",),
    "week": ("seven days",),
    "leader": ("chief", "head"),
    "leaders": ("chiefs", "heads"),
    "security": ("safety",),
    "election": ("vote", "poll"),
    "vote": ("ballot",),
    "law": ("legislation", "act"),
    "court": ("tribunal", "judges"),
    "deal": ("agreement", "accord"),
    "war": ("conflict", "fighting"),
    "forces": ("troops",),
    "group": ("organisation",),
    "home": ("house", "residence"),
    "move": ("step",),
    "set": ("due",),
}
DROPPABLE = {"the", "that", "very", "also", "just", "really", "still", "now", "then", "already"}
UPDATE_PREFIX = ("UPDATE 1-", "UPDATE 2-", "UPDATED: ", "")
# Capitalised words that are no tag ("Tags: Sudan, Iraq" but not "The" or "Monday").
NOT_TAGS = set(
    re.findall(
        r"\w+",
        "The This That These Those There Their They But And For With From After Before When While "
        "What Which Who Why How His Her Its Our Some Many Most Other Last Next First Also However "
        "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June "
        "July August September October November December Mr Mrs Ms Dr President Minister Questions",
    )
)
