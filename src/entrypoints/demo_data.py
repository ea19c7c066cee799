"""What ``peoplecoin demo`` puts in a store: the legal documents, a dozen creators with whole profiles and how
each of them came in, two applicants who did not (yet), the traders, and the curated topics.

Invented people; every URL is on example.com. The market's behaviour is here
too, per creator (price, supply, popularity, how the price goes over the
week), so the story a frontend shows is written down in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.creator.profile import Achievement, Education, Link, Skill, WorkExperience


class Arrival(StrEnum):
    APPLIED = "applied"  # signs the agreement, applies, an admin approves
    INVITED = "invited"  # the same, with an invitation code
    CREATED = "created"  # an admin lists the token and makes the creator (POST /admin/tokens, /admin/creators)


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class CreatorSeed:
    handle: str
    display_name: str
    category: str
    symbol: str
    token_name: str
    headline: str
    bio: str
    location: str
    links: tuple[Link, ...]
    skills: tuple[Skill, ...]
    achievements: tuple[Achievement, ...]
    work: tuple[WorkExperience, ...]
    education: tuple[Education, ...]
    sections: tuple[Section, ...]
    arrival: Arrival
    joined: float  # days after the week began
    verified: bool
    price: str  # the initial price, USD
    supply: int  # whole tokens
    popularity: float  # a share of the trading and of the follows
    week: float  # the price's move from the listing to a day ago, as a fraction
    last_day: float  # its move over the last 24 hours
    late_section: Section | None = None  # published later in the week (the feed's section_published)

    @property
    def avatar_url(self) -> str:
        return f"https://images.example.com/creators/{self.handle}/avatar.jpg"

    @property
    def banner_url(self) -> str:
        return f"https://images.example.com/creators/{self.handle}/banner.jpg"

    @property
    def website(self) -> str:
        return f"https://{self.handle}.example.com"


@dataclass(frozen=True, slots=True)
class ApplicantSeed:
    handle: str
    display_name: str
    category: str
    symbol: str
    token_name: str
    headline: str
    bio: str
    applied: float  # days after the week began
    rejection: str | None  # None: left pending


@dataclass(frozen=True, slots=True)
class TraderSeed:
    username: str
    display_name: str
    bio: str | None
    deposit: int  # USD, the first deposit
    fan_of: str | None = None  # a creator's handle: followed early, traded more


@dataclass(frozen=True, slots=True)
class TopicSeed:
    title: str
    summary: str
    url: str
    tags: tuple[str, ...]
    handles: tuple[str, ...]
    at: float  # days after the week began


TERMS = (
    "Terms of service",
    """# PeopleCoin terms of service

These terms govern your use of PeopleCoin, a marketplace where fans trade tokens issued by creators.

## 1. Your account
You sign in with a Sui wallet. You are responsible for the wallet and its keys; we never hold them.

## 2. Trading
- Orders are matched on a central limit order book, price first, then time.
- Makers pay 0.30 % and takers 0.50 % of the notional of each fill.
- A creator token is not a share in the creator's business and pays no dividend.

## 3. Conduct
No market manipulation, wash trading or impersonation. We may suspend accounts that break these rules.

*This is demonstration text, not legal advice.*
""",
)

CREATOR_AGREEMENT = (
    "Creator agreement",
    """# PeopleCoin creator agreement

By signing this agreement with your wallet you apply to list a token of your own on PeopleCoin.

1. **Who you are.** The profile you submit is yours, and the links in it are accounts you control.
2. **Your token.** Its whole supply is credited to your wallet when it is listed. You decide when to sell.
3. **Disclosure.** You tell your audience plainly when you sell a large part of your tokens.
4. **No promises.** You promise no returns, profits or perks that you cannot deliver.
5. **Review.** PeopleCoin may reject an application, and may delist a token that breaks this agreement.

*This is demonstration text, not legal advice.*
""",
)

INVITATION_NOTE = "Creators we met at the Lisbon creator summit"


def _links(handle: str, *platforms: str) -> tuple[Link, ...]:
    hosts = {
        "YouTube": f"https://youtube.example.com/@{handle}",
        "Instagram": f"https://instagram.example.com/{handle}",
        "TikTok": f"https://tiktok.example.com/@{handle}",
        "X": f"https://x.example.com/{handle}",
        "Twitch": f"https://twitch.example.com/{handle}",
        "GitHub": f"https://github.example.com/{handle}",
        "Spotify": f"https://spotify.example.com/artist/{handle}",
        "Substack": f"https://{handle}.substack.example.com",
        "LinkedIn": f"https://linkedin.example.com/in/{handle}",
        "Strava": f"https://strava.example.com/athletes/{handle}",
    }
    return tuple(Link(p, hosts[p]) for p in platforms)


CREATORS: tuple[CreatorSeed, ...] = (
    CreatorSeed(
        handle="mayasings",
        display_name="Maya Okafor",
        category="music",
        symbol="MAYA",
        token_name="Maya Okafor Coin",
        headline="Singer-songwriter. Afro-soul from Lagos, recorded in a London bedroom.",
        bio="""I write songs about leaving home and finding it again.

- **2 albums**, 40M streams, one very old guitar
- Touring Europe this spring: *Lighthouse Tour*
- Holders hear new demos first, every month

> "Warm, unhurried and completely her own." — *Soundcheck Weekly*
""",
        location="London, UK",
        links=_links("mayasings", "Spotify", "YouTube", "Instagram"),
        skills=(Skill("Songwriting", 5), Skill("Vocals", 5), Skill("Guitar", 4), Skill("Production", 3)),
        achievements=(
            Achievement("Best New Artist, Soul Awards", "Voted by listeners across 12 countries.", "2024-11-16"),
            Achievement("Lighthouse: 10M streams", "The title track of the second album.", "2025-06-02"),
        ),
        work=(
            WorkExperience("Recording artist", "Independent", "2019-03-01", None, "Two albums and four EPs, self-released."),
            WorkExperience("Session vocalist", "Northside Studios", "2016-09-01", "2019-02-28", "Backing vocals for 60+ records."),
        ),
        education=(Education("Leeds Conservatoire", "BMus", "Popular Music Performance", "2013-09-01", "2016-06-30"),),
        sections=(
            Section("The Lighthouse Tour", """## Spring dates

| City | Venue | Date |
| --- | --- | --- |
| London | Roundhouse | 14 March |
| Paris | La Cigale | 18 March |
| Berlin | Astra | 21 March |

Holders of **100 MAYA** or more get a pre-sale code a week early."""),
            Section("How I write", """Most songs start as voice notes on the night bus. I keep a folder called *unfinished* with 400 of
them. Every month I post one here and we vote on which one I finish."""),
        ),
        arrival=Arrival.APPLIED,
        joined=0.05,
        verified=True,
        price="4.20",
        supply=1_000_000,
        popularity=1.6,
        week=0.12,
        last_day=0.04,
        late_section=Section("Demo of the month: *Harmattan*", """A first take, recorded at 3 a.m. with the window open.

- vocals, one guitar, the street outside
- vote for the next demo in the comments"""),
    ),
    CreatorSeed(
        handle="theopaints",
        display_name="Theo Lindqvist",
        category="art",
        symbol="THEO",
        token_name="Theo Lindqvist",
        headline="Oil painter of northern light. Every Sunday, a painting from start to finish, live.",
        bio="""Swedish painter working in oils and, lately, on an iPad in the same brushstrokes.

My paintings hang in three Nordic museums and in a lot of kitchens. I think both are good places.

*Commissions open twice a year; holders hear first.*
""",
        location="Stockholm, Sweden",
        links=_links("theopaints", "Instagram", "YouTube"),
        skills=(Skill("Oil painting", 5), Skill("Colour theory", 5), Skill("Digital painting", 3), Skill("Teaching", 4)),
        achievements=(
            Achievement("Solo show: *Blue Hour*", "Moderna Museet annex, six weeks.", "2023-10-05"),
            Achievement("1,000 live paintings", "Every Sunday since 2015.", "2025-01-12"),
        ),
        work=(
            WorkExperience("Painter", "Studio Lindqvist", "2012-01-01", None, "Landscapes, portraits, commissions."),
            WorkExperience("Illustrator", "Bonnier Books", "2008-05-01", "2011-12-31", "Covers for 30 novels."),
        ),
        education=(Education("Royal Institute of Art", "MFA", "Painting", "2003-09-01", "2008-06-01"),),
        sections=(
            Section("Sunday live paintings", """Every Sunday at **18:00 CET** I paint a landscape from a reference that holders choose.
The finished painting is raffled among everyone who watched to the end."""),
            Section("Materials I use", """- Michael Harding oils, mostly earth colours
- Linen panels, primed twice
- A palette knife from my grandfather"""),
        ),
        arrival=Arrival.APPLIED,
        joined=0.15,
        verified=True,
        price="2.50",
        supply=2_000_000,
        popularity=1.0,
        week=0.05,
        last_day=-0.02,
    ),
    CreatorSeed(
        handle="kaiplays",
        display_name="Kai Nakamura",
        category="gaming",
        symbol="KAI",
        token_name="Kai Plays",
        headline="Speedrunner. Three world records, one cat, no sleep.",
        bio="""I speedrun platformers and explain every trick as I go.

**Current goal:** the *Celeste* any% world record before summer.

Streams Tuesday to Saturday, 20:00 JST.
""",
        location="Osaka, Japan",
        links=_links("kaiplays", "Twitch", "YouTube", "X"),
        skills=(Skill("Speedrunning", 5), Skill("Streaming", 5), Skill("Video editing", 4), Skill("Japanese", 5), Skill("English", 4)),
        achievements=(
            Achievement("World record: Hollow Knight any% NMG", None, "2024-08-19"),
            Achievement("Games Done Quick headliner", "Raised 210,000 USD for charity in one run.", "2025-01-10"),
            Achievement("500,000 followers on Twitch", None, "2025-09-30"),
        ),
        work=(WorkExperience("Streamer", "Independent", "2018-04-01", None, "Five nights a week; 2,300 streams so far."),),
        education=(Education("Osaka University", "BEng", "Computer Science", "2012-04-01", "2016-03-31"),),
        sections=(
            Section("The world record attempt", """Every attempt is logged: split times, deaths, the one jump that kills every run.

1. Chapter 1 is solved
2. Chapter 7 still costs me **four seconds**
3. Holders pick the music for the final week"""),
            Section("Setup", """- PC: Ryzen 7, RTX 4070
- Capture: Elgato 4K60
- Controller: a twelve-year-old pad, held together with tape"""),
        ),
        arrival=Arrival.APPLIED,
        joined=0.3,
        verified=True,
        price="1.80",
        supply=1_000_000,
        popularity=1.8,
        week=0.05,
        last_day=0.35,
        late_section=Section("Run #4,112: 0.4 seconds off", """Tonight's best run ended 0.4 seconds off the record.
The clip is pinned on the channel; the record attempt continues tomorrow."""),
    ),
    CreatorSeed(
        handle="priyateaches",
        display_name="Dr. Priya Raman",
        category="education",
        symbol="PRIYA",
        token_name="Priya Raman",
        headline="Making calculus feel obvious. Former lecturer, full-time explainer.",
        bio="""I taught mathematics at university for ten years. Now I make short lessons that
start from a picture and end with the formula, never the other way round.

- 1.2M students on YouTube
- Free problem sets every week
- Office hours for holders, once a month
""",
        location="Toronto, Canada",
        links=_links("priyateaches", "YouTube", "Substack", "LinkedIn"),
        skills=(Skill("Calculus", 5), Skill("Linear algebra", 5), Skill("Curriculum design", 4), Skill("Animation", 3)),
        achievements=(
            Achievement("Teaching excellence award", "University of Toronto.", "2019-05-20"),
            Achievement("1 million subscribers", None, "2024-03-14"),
        ),
        work=(
            WorkExperience("Educator", "Independent", "2021-01-01", None, "Videos, courses and a weekly newsletter."),
            WorkExperience("Lecturer in Mathematics", "University of Toronto", "2011-07-01", "2020-12-31", None),
        ),
        education=(
            Education("University of Toronto", "PhD", "Applied Mathematics", "2006-09-01", "2011-06-30"),
            Education("IIT Madras", "BSc", "Mathematics", "2002-07-01", "2006-05-31"),
        ),
        sections=(
            Section("Start here", """New to calculus? Watch these in order:

1. *What a derivative really is* (12 min)
2. *Areas, slices and the integral* (15 min)
3. *The chain rule as gears* (9 min)"""),
            Section("Office hours", """Once a month, holders of **50 PRIYA** join a live problem session. Bring your hardest question."""),
        ),
        arrival=Arrival.INVITED,
        joined=0.45,
        verified=True,
        price="3.10",
        supply=1_000_000,
        popularity=0.9,
        week=0.08,
        last_day=0.01,
    ),
    CreatorSeed(
        handle="leobuilds",
        display_name="Leo Martins",
        category="technology",
        symbol="LEOB",
        token_name="Leo Builds",
        headline="Open-source maintainer. I build developer tools in public and explain the hard parts.",
        bio="""Maintainer of **tinyqueue** (14k stars) and a dozen smaller libraries.

I write about databases, queues and the boring details that keep systems up.
Sponsors and holders get the monthly deep dive a week early.
""",
        location="Porto, Portugal",
        links=_links("leobuilds", "GitHub", "X", "Substack"),
        skills=(Skill("Rust", 5), Skill("Python", 5), Skill("PostgreSQL", 4), Skill("Distributed systems", 4), Skill("Writing", 4)),
        achievements=(
            Achievement("tinyqueue 1.0", "A persistent queue in 2,000 lines.", "2023-02-01"),
            Achievement("Speaker, EuroPython", "Talk: *Exactly once is a lie*.", "2024-07-10"),
        ),
        work=(
            WorkExperience("Independent maintainer", None, "2022-01-01", None, "Funded by sponsors."),
            WorkExperience("Staff engineer", "Farfetch", "2016-03-01", "2021-12-31", "Payments and order pipelines."),
        ),
        education=(Education("University of Porto", "MSc", "Informatics Engineering", "2010-09-01", "2015-07-31"),),
        sections=(
            Section("Projects", """- **tinyqueue**: a persistent queue with exactly one dependency
- **pgwatch-lite**: see slow queries without an agent
- **shelf**: a key-value store to learn from, not to use"""),
            Section("Deep dives", """Monthly long reads: *How group commit works*, *Why your retries make outages worse*,
*Clocks are hard: a tour of time in databases*."""),
            Section("Office hours", "Every other Friday I review one holder's pull request live."),
        ),
        arrival=Arrival.APPLIED,
        joined=0.6,
        verified=False,
        price="6.75",
        supply=500_000,
        popularity=0.8,
        week=0.10,
        last_day=0.02,
    ),
    CreatorSeed(
        handle="sofiastrong",
        display_name="Sofía Reyes",
        category="fitness",
        symbol="SOFIA",
        token_name="Sofia Strong",
        headline="Strength coach. Lift heavy, rest well, ignore fads.",
        bio="""Certified strength coach and former national weightlifting team member.

Free 12-week programmes, form checks every Thursday, and no supplements to sell you.
""",
        location="Mexico City, Mexico",
        links=_links("sofiastrong", "Instagram", "YouTube", "TikTok"),
        skills=(Skill("Olympic lifting", 5), Skill("Programming", 5), Skill("Nutrition", 3), Skill("Spanish", 5)),
        achievements=(
            Achievement("National champion, 64 kg", "Mexican weightlifting championships.", "2017-06-11"),
            Achievement("100,000 programmes downloaded", None, "2025-04-01"),
        ),
        work=(
            WorkExperience("Head coach", "Barra Fuerte Gym", "2019-01-01", None, None),
            WorkExperience("Athlete", "Mexican national weightlifting team", "2013-01-01", "2018-12-31", None),
        ),
        education=(Education("UNAM", "BSc", "Sports Science", "2012-08-01", "2016-06-30"),),
        sections=(
            Section("12-week strength programme", """Three days a week, one hour each.

- **Weeks 1-4:** technique and volume
- **Weeks 5-8:** heavier triples
- **Weeks 9-12:** singles and a test day"""),
            Section("Form checks", "Post a video with #formcheck; every Thursday I answer the ten most upvoted."),
        ),
        arrival=Arrival.APPLIED,
        joined=0.9,
        verified=False,
        price="1.25",
        supply=2_000_000,
        popularity=0.7,
        week=-0.04,
        last_day=0.03,
    ),
    CreatorSeed(
        handle="jamaljokes",
        display_name="Jamal Carter",
        category="comedy",
        symbol="JAMAL",
        token_name="Jamal Carter",
        headline="Stand-up comic. Writing a new hour about my family, who are not pleased.",
        bio="""Chicago comic, 12 years on stage, two specials and one very patient mother.

New hour in progress: *Group Chat*. Holders get the work-in-progress sets.
""",
        location="Chicago, USA",
        links=_links("jamaljokes", "Instagram", "TikTok", "YouTube"),
        skills=(Skill("Stand-up", 5), Skill("Writing", 4), Skill("Improv", 3)),
        achievements=(
            Achievement("Special: *Second Cousin*", "Streaming worldwide.", "2023-09-22"),
            Achievement("Just for Laughs, New Faces", None, "2018-07-25"),
        ),
        work=(
            WorkExperience("Comedian", "Independent", "2013-01-01", None, "Touring, two specials, a podcast."),
            WorkExperience("Staff writer", "Late Night Chicago", "2016-01-01", "2018-06-30", None),
        ),
        education=(Education("Columbia College Chicago", "BA", "Comedy Writing", "2008-09-01", "2012-05-31"),),
        sections=(
            Section("Tour dates", """- 12 April, Chicago, *The Laugh Factory*
- 19 April, Detroit, *Comedy Castle*
- 3 May, Toronto, *Comedy Bar*"""),
            Section("Work in progress", "Every week, ten new minutes of *Group Chat*, recorded at open mics. Be kind."),
        ),
        arrival=Arrival.APPLIED,
        joined=1.2,
        verified=False,
        price="0.90",
        supply=3_000_000,
        popularity=0.9,
        week=-0.10,
        last_day=-0.16,
    ),
    CreatorSeed(
        handle="amaracooks",
        display_name="Amara Chen",
        category="food",
        symbol="AMARA",
        token_name="Amara Cooks",
        headline="Chef. Hawker-stall recipes for home kitchens, tested until they work.",
        bio="""Trained in French kitchens, raised on Singapore hawker food.

Every recipe is tested five times in an ordinary home kitchen before I post it.
Holders vote on the next dish.
""",
        location="Singapore",
        links=_links("amaracooks", "YouTube", "Instagram", "TikTok"),
        skills=(Skill("Cooking", 5), Skill("Recipe development", 5), Skill("Food photography", 4)),
        achievements=(
            Achievement("Cookbook: *Hawker at Home*", "A bestseller in Singapore and Malaysia.", "2024-10-01"),
            Achievement("Sous chef, one-Michelin-star kitchen", None, "2019-02-01"),
        ),
        work=(
            WorkExperience("Recipe developer", "Independent", "2020-06-01", None, None),
            WorkExperience("Sous chef", "Restaurant Lumière", "2016-01-01", "2020-05-31", None),
        ),
        education=(Education("Le Cordon Bleu", "Diplôme de Cuisine", "Culinary Arts", "2013-09-01", "2015-08-31"),),
        sections=(
            Section("Recipe: Hainanese chicken rice", """**Serves 4.** Poach the chicken at a bare simmer for 25 minutes, then into ice water.

1. Cook the rice in the chicken fat and stock
2. Blend chilli, garlic and lime for the sauce
3. Slice, and eat it all at once"""),
            Section("Vote for the next dish", "This week: *laksa*, *char kway teow* or *kaya toast*. Holders vote below."),
        ),
        arrival=Arrival.INVITED,
        joined=3.1,
        verified=False,
        price="2.20",
        supply=1_000_000,
        popularity=0.8,
        week=0.15,
        last_day=0.05,
    ),
    CreatorSeed(
        handle="norascience",
        display_name="Nora Feld",
        category="science",
        symbol="NORA",
        token_name="Nora Feld",
        headline="Astrophysicist. The universe explained with a whiteboard and a lot of enthusiasm.",
        bio="""Postdoc in exoplanet atmospheres by day; science explainer by night.

I answer one listener question in every episode. Nothing is too basic.
""",
        location="Berlin, Germany",
        links=_links("norascience", "YouTube", "X", "Substack"),
        skills=(Skill("Astrophysics", 5), Skill("Data analysis", 5), Skill("Public speaking", 4), Skill("German", 5)),
        achievements=(
            Achievement("Science communication prize", "German Physical Society.", "2024-04-18"),
            Achievement("Paper: water vapour on K2-18b", "Co-author, published in a leading journal.", "2023-09-11"),
        ),
        work=(
            WorkExperience("Postdoctoral researcher", "Max Planck Institute for Astronomy", "2021-10-01", None, None),
            WorkExperience("Host", "Whiteboard Universe podcast", "2020-01-01", None, "Weekly, 180 episodes."),
        ),
        education=(Education("Heidelberg University", "PhD", "Astrophysics", "2016-10-01", "2021-09-30"),),
        sections=(
            Section("Ask me anything", "Send a question; I pick one every week. *No, I will not tell you your star sign.*"),
            Section("Reading list", """- *Cosmos*, Carl Sagan
- *The Planet Factory*, Elizabeth Tasker
- *Seven Brief Lessons on Physics*, Carlo Rovelli"""),
        ),
        arrival=Arrival.CREATED,
        joined=0.2,
        verified=True,
        price="5.00",
        supply=800_000,
        popularity=0.7,
        week=0.06,
        last_day=-0.01,
    ),
    CreatorSeed(
        handle="zoestyle",
        display_name="Zoé Laurent",
        category="fashion",
        symbol="ZOE",
        token_name="Zoe Laurent",
        headline="Designer. Slow fashion, made to be mended.",
        bio="""I design small collections from deadstock fabric in a Paris atelier of four people.

Every piece comes with a repair kit. Holders get first pick of each drop.
""",
        location="Paris, France",
        links=_links("zoestyle", "Instagram", "TikTok"),
        skills=(Skill("Pattern making", 5), Skill("Tailoring", 4), Skill("Textile sourcing", 4)),
        achievements=(Achievement("Finalist, Festival de Hyères", None, "2022-04-24"),),
        work=(
            WorkExperience("Founder and designer", "Atelier Laurent", "2021-02-01", None, None),
            WorkExperience("Junior designer", "Maison Lemaire", "2017-09-01", "2021-01-31", None),
        ),
        education=(Education("Institut Français de la Mode", "Master", "Fashion Design", "2015-09-01", "2017-06-30"),),
        sections=(
            Section("The spring drop", "Twelve pieces in washed linen and one coat from a single bolt of wool. Drop date: 1 April."),
            Section("How to mend a seam", "A five-minute guide with photos, for the repair kit that ships with every piece."),
        ),
        arrival=Arrival.APPLIED,
        joined=5.2,
        verified=False,
        price="1.60",
        supply=1_000_000,
        popularity=0.6,
        week=0.08,
        last_day=0.12,
    ),
    CreatorSeed(
        handle="marcusruns",
        display_name="Marcus Bell",
        category="sports",
        symbol="MARC",
        token_name="Marcus Bell",
        headline="Marathoner. 2:09 and chasing 2:07, with every training week published.",
        bio="""Kenyan-American distance runner training in Iten and Boston.

I publish every session, every split and every bad day. Holders join the monthly long run on Strava.
""",
        location="Boston, USA",
        links=_links("marcusruns", "Strava", "Instagram", "YouTube"),
        skills=(Skill("Marathon", 5), Skill("Half marathon", 5), Skill("Coaching", 3)),
        achievements=(
            Achievement("Personal best: 2:09:14", "Berlin Marathon.", "2025-09-21"),
            Achievement("Top ten, Boston Marathon", None, "2024-04-15"),
        ),
        work=(WorkExperience("Professional runner", "Iten Running Club", "2018-01-01", None, None),),
        education=(Education("University of Oregon", "BSc", "Human Physiology", "2012-09-01", "2016-06-30"),),
        sections=(
            Section("This week in training", """| Day | Session |
| --- | --- |
| Mon | 16 km easy |
| Tue | 10 × 1 km at 2:55 |
| Sat | 35 km long run |"""),
            Section("Race calendar", "Next: **London Marathon**, 26 April. Goal: under 2:08."),
        ),
        arrival=Arrival.CREATED,
        joined=1.6,
        verified=False,
        price="3.40",
        supply=1_000_000,
        popularity=0.5,
        week=-0.03,
        last_day=0.0,
    ),
    CreatorSeed(
        handle="inesfounder",
        display_name="Inês Duarte",
        category="business",
        symbol="INES",
        token_name="Ines Duarte",
        headline="Founder of two start-ups (one sold, one buried). Writing the honest playbook.",
        bio="""I founded a logistics start-up, sold it, then founded a fintech and shut it down.

I write the newsletter I wanted at the time: numbers, mistakes and what I would do differently.
""",
        location="Lisbon, Portugal",
        links=_links("inesfounder", "LinkedIn", "Substack", "X"),
        skills=(Skill("Fundraising", 5), Skill("Operations", 4), Skill("Hiring", 4), Skill("Public speaking", 4)),
        achievements=(
            Achievement("Acquisition of Rotas", "Sold to a European logistics group.", "2021-11-30"),
            Achievement("Forbes 30 Under 30, Europe", None, "2019-03-01"),
        ),
        work=(
            WorkExperience("Writer", "The Honest Playbook", "2023-06-01", None, "A weekly newsletter, 60,000 readers."),
            WorkExperience("Co-founder and CEO", "Pago", "2022-01-01", "2023-05-31", "Shut down after 18 months."),
            WorkExperience("Co-founder and CEO", "Rotas", "2016-02-01", "2021-11-30", "Last-mile logistics, 120 people."),
        ),
        education=(Education("Nova School of Business and Economics", "MSc", "Management", "2013-09-01", "2015-07-31"),),
        sections=(
            Section("The honest playbook", """Chapters so far:

1. *Your first ten customers are a sales problem*
2. *The seed round I should not have taken*
3. *How to shut a company down kindly*"""),
            Section("Office hours", "Holders book a 20-minute call once a quarter. Bring your deck, I bring questions."),
        ),
        arrival=Arrival.APPLIED,
        joined=2.0,
        verified=False,
        price="7.80",
        supply=400_000,
        popularity=0.6,
        week=0.04,
        last_day=-0.03,
    ),
)

APPLICANTS: tuple[ApplicantSeed, ...] = (
    ApplicantSeed(
        handle="quickflip",
        display_name="Quick Flip",
        category="business",
        symbol="FLIP",
        token_name="Flip Token",
        headline="Guaranteed 10x. Buy early.",
        bio="Join before the pump.",
        applied=2.3,
        rejection="The application promises returns, which the creator agreement forbids (clause 4).",
    ),
    ApplicantSeed(
        handle="oliverbeats",
        display_name="Oliver Grant",
        category="music",
        symbol="OLLY",
        token_name="Oliver Grant",
        headline="Producer and drummer. Lo-fi beats for late nights.",
        bio="I make beats in a garage in Manchester and post one every day.",
        applied=6.6,
        rejection=None,
    ),
)

TRADERS: tuple[TraderSeed, ...] = (
    TraderSeed("ana_trades", "Ana Souza", "Early fan of everything Maya does.", 8_000, "mayasings"),
    TraderSeed("ben_k", "Ben Kowalski", None, 2_500),
    TraderSeed("chloe_m", "Chloé Martin", "Art collector, mostly small works.", 12_000, "theopaints"),
    TraderSeed("dev_patel", "Dev Patel", "Backend developer. Buys the people whose work I use.", 5_000, "leobuilds"),
    TraderSeed("emma_w", "Emma Wright", None, 1_500),
    TraderSeed("felix_h", "Felix Hoffmann", "Speedrun fan since 2015.", 3_000, "kaiplays"),
    TraderSeed("grace_lee", "Grace Lee", None, 20_000),
    TraderSeed("hugo_b", "Hugo Bernard", "Comedy nerd.", 1_200, "jamaljokes"),
    TraderSeed("isla_r", "Isla Robertson", None, 4_000),
    TraderSeed("jonas_n", "Jonas Nilsson", "Painter, hobbyist, Theo's student.", 2_000, "theopaints"),
    TraderSeed("kemi_a", "Kemi Adeyemi", None, 6_500),
    TraderSeed("liam_oc", "Liam O'Connor", "Marathon runner, slow one.", 2_200, "marcusruns"),
    TraderSeed("mei_tan", "Mei Tan", "Home cook.", 3_500, "amaracooks"),
    TraderSeed("nico_rossi", "Nico Rossi", None, 9_000),
    TraderSeed("olga_v", "Olga Volkova", "Maths teacher.", 1_800, "priyateaches"),
    TraderSeed("pablo_g", "Pablo García", None, 15_000),
    TraderSeed("quinn_t", "Quinn Taylor", "Market maker at heart.", 40_000),
    TraderSeed("rosa_l", "Rosa Lima", None, 2_800),
    TraderSeed("sam_j", "Sam Johnson", "Gamer.", 1_000, "kaiplays"),
    TraderSeed("tara_s", "Tara Singh", None, 7_500),
    TraderSeed("umar_f", "Umar Farouk", "Founder, reader of Inês.", 11_000, "inesfounder"),
    TraderSeed("vera_k", "Vera Klein", None, 3_200),
    TraderSeed("will_d", "Will Davies", None, 2_600),
    TraderSeed("xena_p", "Xena Papadopoulos", "Fashion student.", 1_400, "zoestyle"),
    TraderSeed("yuki_s", "Yuki Sato", "Kai's biggest fan.", 5_500, "kaiplays"),
    TraderSeed("zane_m", "Zane Miller", None, 30_000),
    TraderSeed("alba_f", "Alba Ferrer", None, 4_800),
    TraderSeed("bruno_c", "Bruno Costa", "Lifter.", 2_100, "sofiastrong"),
    TraderSeed("cleo_d", "Cleo Dubois", None, 6_000),
    TraderSeed("dario_v", "Dario Valente", None, 25_000),
)

TOPICS: tuple[TopicSeed, ...] = (
    TopicSeed(
        title="Speedrun season: Kai goes for the record",
        summary="Kai Nakamura's Celeste attempts are the most watched streams of the week, and KAI is the week's top mover.",
        url="https://news.example.com/speedrun-season",
        tags=("gaming", "speedrun", "live"),
        handles=("kaiplays",),
        at=6.4,
    ),
    TopicSeed(
        title="Learning in public: the teachers of PeopleCoin",
        summary="A mathematician, an astrophysicist and a chef who explain how things work, from integrals to laksa.",
        url="https://news.example.com/learning-in-public",
        tags=("education", "science", "food"),
        handles=("priyateaches", "norascience", "amaracooks"),
        at=6.8,
    ),
)
