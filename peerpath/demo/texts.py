"""Sentence banks for the demo agency's plans and notes.

Peers are not clinicians: the words are plain, person-first and strengths-based. Goals are
written the way people say them. Templates use {first} (the name the person goes by),
{goal}, {place}, {resource}, {action} and {topic}.
"""

from __future__ import annotations

# (goal in the person's own words, WHAM whole-health factor or "", measurable objective
#  ("by {target}" is filled with a date), individual activities that fit the goal)
GOALS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "I want to get my own apartment by next spring.",
        "",
        "Tour at least 3 apartments and turn in 1 housing application by {target}.",
        ("resource_connecting", "advocacy"),
    ),
    (
        "I want to go back to work part-time, maybe at a garden center.",
        "meaning_and_purpose",
        "Finish 2 job applications and 1 practice interview by {target}.",
        ("resource_connecting", "peer_mentoring"),
    ),
    (
        "I want to stay sober and be there for my kids.",
        "support_network",
        "Go to 2 recovery meetings a week and call a peer on hard days, through {target}.",
        ("peer_mentoring", "building_community"),
    ),
    (
        "I want to sleep through the night more often.",
        "restful_sleep",
        "Keep a sleep log and follow a bedtime routine 5 nights a week by {target}.",
        ("peer_mentoring",),
    ),
    (
        "I want to make a couple of friends who don't use.",
        "support_network",
        "Try 2 new community groups and go back to one of them by {target}.",
        ("building_community", "peer_mentoring"),
    ),
    (
        "I want to handle my money so I'm not broke by the 15th.",
        "",
        "Make a monthly budget and track spending every week for 8 weeks by {target}.",
        ("peer_mentoring", "resource_connecting"),
    ),
    (
        "I want to speak up for myself at my doctor's appointments.",
        "",
        "Write down questions before each visit and ask at least 1 at the next 3 visits "
        "by {target}.",
        ("advocacy",),
    ),
    (
        "I want to walk every day and feel stronger.",
        "physical_activity",
        "Walk 20 minutes at least 4 days a week, marked on a calendar, by {target}.",
        ("peer_mentoring", "building_community"),
    ),
    (
        "I want to cook real meals instead of fast food.",
        "healthy_eating",
        "Plan and cook 3 meals at home each week for 6 weeks by {target}.",
        ("peer_mentoring", "resource_connecting"),
    ),
    (
        "I want to get my driver's license back.",
        "",
        "Gather the papers I need and book a DMV appointment by {target}.",
        ("resource_connecting", "advocacy"),
    ),
    (
        "I want to finish my GED.",
        "cognitive_skills",
        "Sign up for a GED class and go to 2 sessions a week by {target}.",
        ("resource_connecting", "peer_mentoring"),
    ),
    (
        "I want to manage my anxiety so I can ride the bus again.",
        "stress_management",
        "Practice 2 calming skills and ride the bus with support 3 times by {target}.",
        ("peer_mentoring", "building_community"),
    ),
    (
        "I want to reconnect with my church.",
        "spiritual_practice",
        "Go to services or a church group 2 times a month by {target}.",
        ("building_community",),
    ),
    (
        "I want to know what to do when things start to fall apart, so I don't end up in the "
        "hospital.",
        "",
        "Finish a WRAP with my early warning signs and 3 people to call by {target}.",
        ("crisis_support",),
    ),
    (
        "I want to volunteer somewhere I can help animals.",
        "service_to_others",
        "Contact 2 volunteer programs and finish 1 orientation by {target}.",
        ("resource_connecting", "building_community"),
    ),
    (
        "I want to keep my apartment and get along with my landlord.",
        "",
        "Pay rent on time each month and keep a log of repair requests through {target}.",
        ("advocacy", "peer_mentoring"),
    ),
    (
        "I want to get my teeth fixed.",
        "",
        "Find a dentist who takes Medicaid and keep the first appointment by {target}.",
        ("resource_connecting",),
    ),
    (
        "I want to feel hopeful again.",
        "optimism",
        "Write down 3 good things a day, 5 days a week, and share one with my peer by {target}.",
        ("peer_mentoring",),
    ),
    (
        "I want to take my medicine the way my doctor and I agreed.",
        "",
        "Use a pill box and a phone reminder, missing no more than 1 dose a week, by {target}.",
        ("peer_mentoring", "advocacy"),
    ),
    (
        "I want to be a better dad and see my son on weekends.",
        "support_network",
        "Keep every planned visit and plan 1 outing with my son each month through {target}.",
        ("peer_mentoring",),
    ),
    (
        "I want to stop isolating and get out of the house.",
        "support_network",
        "Leave the house for a planned activity 3 times a week by {target}.",
        ("building_community", "peer_mentoring"),
    ),
    (
        "I want to learn to handle stress without drinking.",
        "stress_management",
        "Use a coping skill from my list instead of drinking on hard days, checked weekly, "
        "through {target}.",
        ("peer_mentoring", "crisis_support"),
    ),
    (
        "I want to get my disability paperwork done.",
        "",
        "Gather my medical records and finish the application with help by {target}.",
        ("resource_connecting", "advocacy"),
    ),
    (
        "I want to go back to school for a welding certificate.",
        "meaning_and_purpose",
        "Visit the community college and meet with an advisor by {target}.",
        ("resource_connecting",),
    ),
    (
        "I want to eat better so my diabetes is under control.",
        "healthy_eating",
        "Swap sugary drinks for water 5 days a week and keep a food log by {target}.",
        ("peer_mentoring", "advocacy"),
    ),
    (
        "I want a steady routine during the week.",
        "",
        "Follow a written weekly schedule at least 4 days out of 7 by {target}.",
        ("peer_mentoring",),
    ),
    (
        "I want to make peace with my family.",
        "support_network",
        "Reach out to 1 family member each week by phone or text through {target}.",
        ("peer_mentoring",),
    ),
    (
        "I want to become a peer support specialist someday.",
        "meaning_and_purpose",
        "Learn the NC certification steps and sign up for the training by {target}.",
        ("resource_connecting", "peer_mentoring"),
    ),
    (
        "I want to quit smoking.",
        "",
        "Call the quitline and set a quit date by {target}.",
        ("resource_connecting", "peer_mentoring"),
    ),
    (
        "I want to get out of the shelter and into a place of my own.",
        "",
        "Apply to 2 housing programs and keep every appointment by {target}.",
        ("resource_connecting", "advocacy"),
    ),
    (
        "I want to feel less alone.",
        "support_network",
        "Join a peer-run group and go at least 2 times a month by {target}.",
        ("building_community",),
    ),
    (
        "I want to manage my voices so they don't run my day.",
        "cognitive_skills",
        "Practice 2 coping strategies for voices and rate how they help each week through "
        "{target}.",
        ("peer_mentoring", "crisis_support"),
    ),
    (
        "I want to open a bank account and save a little each month.",
        "",
        "Open an account and put away $20 a month for 3 months by {target}.",
        ("resource_connecting", "peer_mentoring"),
    ),
    (
        "I want to get back into drawing and painting.",
        "meaning_and_purpose",
        "Make art 3 times a week and bring one piece to share by {target}.",
        ("building_community", "peer_mentoring"),
    ),
    (
        "I want to go to the grocery store on my own.",
        "stress_management",
        "Shop with support twice, then on my own once, by {target}.",
        ("peer_mentoring", "building_community"),
    ),
    (
        "I want to keep my recovery strong now that I'm home from prison.",
        "",
        "Keep every parole appointment and go to 2 recovery meetings a week through {target}.",
        ("peer_mentoring", "resource_connecting"),
    ),
    (
        "I want to understand my benefits and stop losing my Medicaid.",
        "",
        "Learn my renewal dates and turn in the renewal papers on time by {target}.",
        ("advocacy", "resource_connecting"),
    ),
    (
        "I want to grow some of my own food.",
        "healthy_eating",
        "Sign up for a community garden plot and visit it every week by {target}.",
        ("building_community", "resource_connecting"),
    ),
    (
        "I want to keep my cool at work so I can keep my job.",
        "stress_management",
        "Use my time-out plan at work and talk through hard days with my peer weekly through "
        "{target}.",
        ("peer_mentoring",),
    ),
    (
        "I want to pray or meditate every morning.",
        "spiritual_practice",
        "Take 10 quiet minutes each morning, 5 days a week, by {target}.",
        ("peer_mentoring", "building_community"),
    ),
)

INTERVENTIONS: dict[str, tuple[str, ...]] = {
    "peer_mentoring": (
        "Meet one-on-one each week; share my own recovery experience and break the goal "
        "into small steps.",
        "Weekly peer mentoring: check in on progress, problem-solve what got in the way, "
        "celebrate what went well.",
        "Coach on using the person's own tools and strengths for this goal, one step at a time.",
    ),
    "resource_connecting": (
        "Help find community resources for this goal and go along to the first visit if wanted.",
        "Look up programs together, make calls side by side, and follow up on each referral.",
    ),
    "building_community": (
        "Go together to community places the person picks until they feel at ease going alone.",
        "Help find groups and activities in the neighborhood that match the person's interests.",
    ),
    "crisis_support": (
        "Review the crisis plan and WRAP together and update them when things change.",
        "Practice the early-warning steps of the crisis plan and keep the contact list current.",
    ),
    "advocacy": (
        "Practice speaking up and prepare questions for appointments together.",
        "Support the person in asking for what they need from landlords, agencies and providers.",
    ),
    "skills_group": (
        "Invite to the weekly skills-building group to practice recovery tools with peers.",
        "Weekly recovery skills group: learn a tool, try it during the week, share how it went.",
    ),
}

FREQUENCIES: dict[str, tuple[str, ...]] = {
    "skills_group": ("weekly group, 60-90 minutes",),
    "": ("weekly, about 1 hour", "weekly, 45-60 minutes", "1-2 times a week, about 1 hour"),
}

RESOURCES = (
    "the housing authority waitlist",
    "a food pantry near the bus line",
    "the Vocational Rehabilitation office",
    "a free tax help site",
    "a dentist who takes Medicaid",
    "the library's computer class",
    "a recovery meeting close to home",
    "the community college's adult education office",
    "a clothing closet at a church nearby",
    "the county's bus pass program",
    "a peer-run wellness center",
    "the legal aid clinic",
)

ACTIONS = (
    "make one phone call",
    "try the breathing exercise each morning",
    "write down questions for the doctor",
    "walk to the library once",
    "check in with a sponsor",
    "fill out the first page of the application",
    "look at the budget sheet twice",
    "go to one meeting",
    "use the sleep log every night",
    "call a friend on the support list",
    "pack a lunch two days this week",
    "practice what to say to the landlord",
)

COMMUNITY_PLACES = (
    "the public library",
    "a coffee shop on Main Street",
    "the park by the lake",
    "the community center",
    "the recovery clubhouse",
    "a diner near the bus station",
    "the farmers market",
    "the YMCA lobby",
)

NOTE_TEXT: dict[str, tuple[str, ...]] = {
    "peer_mentoring": (
        "Met with {first} {where}. I shared how I built a daily routine in my own recovery, "
        "and we broke the next step into smaller pieces.",
        "{first} and I talked through the past week {where}. I listened, shared what worked "
        "for me when I felt stuck, and we picked one thing to try.",
        "Checked in with {first} {where} about the goal. We looked at what went well and what "
        "got in the way, and made a plan for the week.",
        "Met {first} {where}. We went over the objective together and {first} chose the next "
        "small step. I shared a tool that helped me.",
    ),
    "resource_connecting": (
        "{first} and I looked up {resource} together {where} and made the first call side by side.",
        "Met {first} {where} and went over the paperwork for {resource}. We filled out what "
        "we could and listed what is still needed.",
        "{first} and I found the hours and bus route for {resource} {where} and set a day to go.",
    ),
    "building_community": (
        "Met {first} {where} to plan a visit to {community}. {first} picked the day and what "
        "to say when we get there.",
        "{first} and I talked {where} about last week's visit to {community}. {first} wants "
        "to go back and try it alone next time.",
        "Met {first} {where} and looked at community events this month. {first} chose one at "
        "{community}.",
    ),
    "crisis_support": (
        "Met with {first} {where} and went over the crisis plan. We updated the early warning "
        "signs and checked that every phone number still works.",
        "{first} and I reviewed the WRAP {where}. {first} added a new thing that helps and a "
        "person to call.",
        "Talked with {first} {where} about a rough week. We walked through the crisis plan "
        "steps {first} used and what to add next time.",
    ),
    "advocacy": (
        "{first} and I practiced what to say at the next doctor's visit, {where}. We wrote "
        "three questions on a card.",
        "Met {first} {where} to get ready for a talk with the landlord. {first} practiced "
        "asking for the repair in their own words.",
        "{first} and I role-played calling the benefits office {where}. Then {first} made the "
        "real call with me alongside.",
    ),
}

PURPOSE = (
    'Works toward the goal {first} chose: "{goal}."',
    'Supports {first}\'s plan goal, "{goal}," by building confidence one small step at a time.',
    'Step toward "{goal}." Objective: {objective}',
    'Helps {first} keep moving on "{goal}" with peer support and shared experience.',
)

RESPONSES = (
    "{first} said it helped to hear that others have been through this. {first} picked the "
    "next step without prompting.",
    "{first} was engaged, asked good questions and said they felt more sure of the plan.",
    'In {first}\'s words: "That was easier than I thought."',
    "{first} shared that the week was hard and still showed up and worked on the goal. "
    "{first} named two people to call if things get rough.",
    "{first} was quiet at first and opened up by the end. {first} agreed to try the new "
    "plan this week.",
    "{first} reported using a coping skill twice this week and felt proud of it.",
    "{first} was tired today but stayed for the whole visit and set a smaller goal for the week.",
    '{first} laughed a lot today and said, "I can see myself doing this."',
    "{first} brought the list from last time with two items checked off.",
    "{first} said the plan feels like theirs and wants to keep the same pace.",
)

NEXT_STEPS = (
    "Meet again next week; {first} will {action} before then.",
    "{first} will {action} by Friday. I will follow up at our next visit.",
    "Next visit: look at how the week went and update the objective if {first} wants to.",
    "{first} will {action}. We will check in by phone midweek.",
    "Keep the same day and time next week. {first} will {action}.",
)

GROUP_TOPICS = (
    ("Wellness tools (WRAP)", "building a daily wellness plan"),
    ("Building my support network", "mapping the people and places that help"),
    ("Managing stress", "breathing, grounding and planning for stressful days"),
    ("Job readiness", "talking about strengths and practicing interview answers"),
    ("Sleep and routine", "setting a bedtime routine and a steady week"),
    ("Healthy eating on a budget", "planning cheap, healthy meals"),
    ("Speaking up for myself", "practicing how to ask for what I need"),
    ("Hope and recovery stories", "sharing recovery stories and what keeps us going"),
    ("Planning for hard days", "early warning signs and what helps"),
    ("Money basics", "making a simple budget"),
    ("Moving my body", "easy ways to be active every day"),
    ("Finding purpose", "volunteering, hobbies and what gives life meaning"),
)

GROUP_SHARED = (
    "The group worked on {topic}. Members shared what works for them, tried one tool "
    "together and each picked something to practice this week.",
    "Today's topic was {topic}. We opened with a check-in, practiced a skill in pairs and "
    "closed with each person naming a next step.",
    "Group focused on {topic}. Peers traded ideas, and the facilitator shared a piece of "
    "their own recovery story.",
)

GROUP_NOTE_TEXT = (
    "{first} took part in the skills group on {topic} and practiced the tool with a partner.",
    "{first} joined the group's work on {topic} and shared an idea that others wrote down.",
    "In group, {first} worked on {topic} and tried the exercise with the others.",
)

STRENGTHS = (
    "Great sense of humor",
    "Keeps a daily journal",
    "Close to a sister who checks in often",
    "Loves to cook for friends",
    "Strong faith",
    "Good with fixing cars and small engines",
    "Has stayed in recovery through hard times before",
    "A caring parent",
    "Knows the bus system well",
    "Volunteers at the food pantry",
    "Enjoys music and plays guitar",
    "Honest about what is and isn't working",
    "Shows up on time",
    "Good at drawing",
    "Likes to help other people in groups",
    "Keeps plants alive",
    "Curious and asks good questions",
    "Walks every day with the dog",
    "Has a good relationship with a primary care doctor",
    "Finished high school and a year of college",
)

TRIGGERS = (
    "Not sleeping for two or more nights",
    "Arguments with family",
    "Being around people who are using",
    "Anniversaries of losses",
    "Running out of money before the end of the month",
    "Loud, crowded places",
    "Missing medicine for a few days",
    "Being alone on weekends",
    "Court dates and letters from agencies",
    "Pain flare-ups",
)

EARLY_SIGNS = (
    "Staying in bed and not answering the phone",
    "Pacing and not eating",
    "Thinking about using again",
    "Talking fast and sleeping little",
    "Hearing voices more often",
    "Skipping appointments",
    "Getting irritable with friends",
    "Spending money I don't have",
    "Feeling hopeless at night",
    "Not showering for days",
)

WHAT_HELPS = (
    "Calling my sister and going for a walk",
    "Listening to gospel music",
    "A warm shower and a quiet room",
    "Going to a meeting the same day",
    "Talking with my peer specialist",
    "Writing in my journal",
    "Holding my dog and breathing slowly",
    "Having someone sit with me without lecturing",
    "Getting outside for fresh air",
    "Eating something and drinking water",
)

WHAT_DOES_NOT_HELP = (
    "Being told to calm down",
    "Lots of questions at once",
    "Being touched without asking",
    "Loud voices",
    "People talking about me instead of to me",
    "Being left alone for hours",
)

PREFERENCES = (
    "If I need the hospital, I prefer the one closest to my sister's house.",
    "Please call my peer specialist before calling anyone else.",
    "I prefer a mobile crisis team to going to the emergency department.",
    "I want my pastor told if I am in the hospital.",
    "Please bring my reading glasses and journal if I have to stay somewhere.",
    "I have an advance directive on file with my clinic.",
)

TRANSITION_PLANS = (
    "Keep going to the weekly peer-run group and call the agency's warm line when needed. "
    "Outpatient therapy continues.",
    "Stay connected with the recovery community center and a sponsor. Can come back to peer "
    "support any time.",
    "Working part-time now; keeps the wellness plan on the fridge and meets a friend from "
    "group every Sunday.",
    "Moving to a new county; linked with a peer support provider there and sent the plan "
    "with consent.",
    "Decided to take a break from peer support. Has the crisis plan, the 988 line and the "
    "clinic's number.",
)

NATURAL_SUPPORTS = (
    "Sister and two friends from church",
    "Sponsor and home group",
    "A neighbor and a cousin",
    "Co-workers at the garden center",
    "Adult daughter and the peer-run group",
    "Friends from the community garden",
)

SUPERVISOR_CONTACT = (
    "Met face to face with {first}. Reviewed progress on the plan goals; {first} feels the "
    "peer support is helping.",
    "Face-to-face visit with {first} and the peer specialist. Talked about what is working "
    "and any changes {first} wants in the plan.",
    "Met with {first} in person. Checked the crisis plan is current and asked about "
    "satisfaction with services.",
)

ASSESSMENT_SUMMARY = (
    "Comprehensive clinical assessment. Peer support recommended; {first} wants help from "
    "someone with lived experience.",
    "CCA completed. {first} would benefit from peer support to build recovery skills and "
    "community connections.",
    "Assessment supports peer support services; other services alone would not be as "
    "effective for {first}'s goals.",
)

TRANSPORT_TEXT = (
    "Gave {first} a ride to the pharmacy and back. We chatted on the way.",
    "Drove {first} to the grocery store and waited in the car.",
)

NO_SHOW_REASONS = (
    "Not home when I came by; left a note on the door.",
    "Did not answer the phone; texted to set a new time.",
    "Overslept after a late shift; we will try Thursday.",
    "",
)

CANCEL_REASONS = (
    "Cancelled by the person: a doctor's appointment came up.",
    "Cancelled by the person: no ride that day.",
    "Cancelled by me: the office was closed for the storm.",
    "Cancelled by the person: feeling unwell, asked to meet next week.",
)

GROUP_SERIES_TOPICS = (
    "Wellness tools that work for me",
    "Building my support network",
    "Recovery stories",
    "Managing stress without substances",
    "Getting ready for work",
    "Speaking up for myself",
)
