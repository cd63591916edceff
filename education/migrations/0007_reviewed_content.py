# ruff: noqa: E501
"""Corrected Belotero and dermal-fillers content, for a medical reviewer to sign.

Fixes the editorial audit of 2026-12-01 (issue 15): emergencies first ("Get help at once"),
allergic reactions among the side effects, lidocaine (amide-type numbing drug) allergy for any
numbing injection, the lips approval with its evidence caveat, primary sources with copies
labelled as copies, and every fact in one place. Only shared/content/belotero-facts.md is used.

Existing rows are updated in place (sections by kind, other records by position), so screening
answers keep their link to the precaution they answered. The pages are left in "needs review":
patients keep seeing the last approved version until a named reviewer approves this one, and
the review date is not touched.
"""

import textwrap

from django.db import migrations

# fmt: off
SOURCES = [
    {"key": "fda-p090016", "title": "Belotero Balance – P090016 (approval summary)", "publisher": "US FDA", "url": "https://www.fda.gov/MedicalDevices/ProductsandMedicalProcedures/DeviceApprovalsandClearances/Recently-ApprovedDevices/ucm280839.htm", "date": "approved 2011-11-14", "copy_of": ""},
    {"key": "fda-s050", "title": "Belotero Balance (+) – P090016/S050", "publisher": "US FDA", "url": "https://www.fda.gov/medical-devices/recently-approved-devices/belotero-balancer-p090016s050", "date": "2023-09-27", "copy_of": ""},
    {"key": "openfda-p090016", "title": "Premarket approval database entry P090016 (Belotero Balance family; database data, not a label)", "publisher": "US FDA", "url": "https://www.accessdata.fda.gov/scripts/cdrh/cfdocs/cfpma/pma.cfm?id=P090016", "date": "records seen 2026", "copy_of": ""},
    {"key": "openfda-p250016", "title": "Premarket approval database entry P250016, Belotero Intense (+) Lidocaine (database data, not a label)", "publisher": "US FDA", "url": "https://www.accessdata.fda.gov/scripts/cdrh/cfdocs/cfpma/pma.cfm?id=P250016", "date": "decision 2026-07-09", "copy_of": ""},
    {"key": "isi-bal", "title": "Belotero Balance Important Safety Information", "publisher": "Amoderm (clinic website)", "url": "https://amoderm.com/cosmedical-services/belotero/belotero-balance-dermal-filler-important-safety-information", "date": "", "copy_of": "the Merz labeling"},
    {"key": "isi-pt", "title": "Belotero patient safety information", "publisher": "Aesthetica (clinic website)", "url": "https://www.aesthetica.com/belotero/", "date": "", "copy_of": "the Merz labeling"},
    {"key": "pi-bal", "title": "Belotero Balance Patient Information Sheet", "publisher": "Clear Aesthetics (clinic website)", "url": "https://clearaestheticsfl.com/boletero", "date": "", "copy_of": "the Merz patient information sheet"},
    {"key": "merz-ioh-2023", "title": "Topline pivotal results for Belotero Balance (+) in under-eye hollows", "publisher": "Merz Aesthetics", "url": "https://merzaesthetics.com/?p=3554", "date": "June 2023", "copy_of": ""},
    {"key": "biesman-2024", "title": "Belotero Balance (+) for infraorbital hollowing: a randomized controlled trial", "publisher": "Aesthetic Surgery Journal 44(9):976–986 (abstract on PubMed)", "url": "https://www.pubmed.gov/38377391/", "date": "2024", "copy_of": ""},
    {"key": "prasetyo-2016", "title": "Hyaluronic acid fillers with cohesive polydensified matrix: a literature review", "publisher": "Clin Cosmet Investig Dermatol 9:257–280 (full text on PubMed Central)", "url": "https://pmc.ncbi.nlm.nih.gov/articles/PMC5021061", "date": "2016-09-08", "copy_of": ""},
    {"key": "belotero-ca", "title": "Belotero FAQ", "publisher": "Merz Canada (belotero.ca)", "url": "https://www.belotero.ca/en/home/services/faq/index.html", "date": "", "copy_of": ""},
    {"key": "am-lips", "title": "Turn down the volume (Belotero Lips Shape and Lips Contour in UK practice)", "publisher": "Aesthetic Medicine (UK)", "url": "https://mag.aestheticmed.co.uk/articles/216651?article=56-1", "date": "", "copy_of": ""},
    {"key": "am-revive", "title": "Refresh and revive (Belotero Revive)", "publisher": "Aesthetic Medicine (UK)", "url": "https://mag.aestheticmed.co.uk/articles/218725?article=6-1", "date": "", "copy_of": ""},
    {"key": "fda-fillers", "title": "Dermal Fillers (Soft Tissue Fillers)", "publisher": "US FDA", "url": "https://www.fda.gov/medical-devices/cosmetic-devices/dermal-fillers-soft-tissue-fillers", "date": "", "copy_of": ""},
    {"key": "fda-dos", "title": "Dermal Filler Do's and Don'ts for Wrinkles, Lips and More", "publisher": "US FDA", "url": "https://www.fda.gov/consumers/consumer-updates/dermal-filler-dos-and-donts-wrinkles-lips-and-more", "date": "", "copy_of": ""},
    {"key": "fda-delayed", "title": "FDA reports risk of delayed onset inflammation near filler sites", "publisher": "US FDA (e-mail bulletin)", "url": "https://content.govdelivery.com/accounts/USFDA/bulletins/3639d20", "date": "", "copy_of": ""},
    {"key": "fda-needlefree", "title": "Do Not Use Needle-Free Devices for Injection of Dermal Fillers", "publisher": "US FDA (e-mail bulletin)", "url": "https://content.govdelivery.com/accounts/USFDA/bulletins/2f668d7", "date": "2021-10-08", "copy_of": ""},
    {"key": "asps", "title": "Dermal fillers: risks and recovery", "publisher": "American Society of Plastic Surgeons", "url": "https://www.plasticsurgery.org/x27065", "date": "", "copy_of": ""},
    {"key": "jcad-hyal-2018", "title": "The use of hyaluronidase in aesthetic practice (v2.4)", "publisher": "J Clin Aesthet Dermatol 11(6):E61–E68", "url": "https://jcadonline.com/aesthetic-complications-hyaluronidase/", "date": "2018-06", "copy_of": ""},
    # No longer cited (better sources replace them); relabelled so no title names an
    # organisation whose site it is not.
    {"key": "aad", "title": "Fillers: FAQs", "publisher": "Practo (health website)", "url": "https://www.practo.com/healthfeed/anti-ageing-fillers-good-or-bad-25360/post", "date": "", "copy_of": "American Academy of Dermatology text"},
    {"key": "fda-silicone-2017", "title": "Injectable silicone for body contouring: consumer tips", "publisher": "Not Just the Kitchen (blog)", "url": "http://www.notjustthekitchen.com/injectable-silicone-body-contouring-enhancement-fda-warning/", "date": "2017-11-14", "copy_of": "US FDA consumer health information"},
]
# fmt: on

GET_HELP = {
    "kind": "get_help",
    "sources": ["isi-bal", "fda-dos", "jcad-hyal-2018"],
    "body": """
        Rarely, filler gets into a blood vessel and blocks it. This is an emergency. Act at once if you notice any of these after filler:

        - A change in your sight.
        - Signs of a stroke: a face that droops, a weak arm, or trouble speaking.
        - Skin that turns pale or white, or pain that is not normal.

        We can break down HA filler with an enzyme called hyaluronidase.
    """,
}

TREATMENTS = [
    {
        "slug": "dermal-fillers",
        "name": "Dermal fillers",
        "summary": "Dermal fillers are gels injected under the skin to smooth lines or add fullness. Learn how they work, what the risks are, and how to choose a safe provider.",
        "sections": [
            GET_HELP,
            {
                "kind": "overview",
                "sources": ["fda-dos", "fda-fillers", "prasetyo-2016"],
                "body": """
                    Dermal fillers are soft gels that a provider injects under the skin. They can smooth lines and folds, or add fullness. In the US, the FDA regulates them as medical devices.

                    The FDA approves each filler for set uses in adults aged 22 and over. Examples are lines and folds on the face, and fullness in the lips, cheeks, chin or the back of the hand. A filler approved for one area may not be approved for another. No filler is approved to shape the body, such as the breasts or buttocks.

                    Some fillers are made of hyaluronic acid (HA). HA is a sugar your body makes on its own. Belotero is one HA brand; see our Belotero page.
                """,
            },
            {
                "kind": "how_it_works",
                "sources": ["fda-fillers", "fda-needlefree"],
                "body": """
                    A filler fills space under the skin. This can soften a fold, plump a hollow, or shape an area such as the lips.

                    Some fillers are absorbable: the body breaks them down, so the effect is temporary. How long it lasts depends on what the filler is made of and where it goes.

                    FDA-approved fillers are given with a syringe, through a fine needle or a thin, blunt tube called a cannula.
                """,
            },
            {
                "kind": "procedure",
                "sources": ["fda-dos", "fda-fillers", "pi-bal", "asps"],
                "body": """
                    **Before.** Your provider asks about your health, your medicines and your allergies. They explain the risks first. Choose a licensed provider with experience, who can deal with a problem if one comes up.

                    **Numbing.** With some fillers, such as plain Belotero Balance, your provider may first inject a numbing drug such as lidocaine. Tell us if you are allergic to lidocaine or other numbing drugs.

                    **Where.** Never have filler from an unlicensed injector or in a place that is not a medical setting.

                    **After.** Lips may look swollen for 2 to 3 days. Try not to rub the treated area.
                """,
            },
            {
                "kind": "results",
                "sources": ["fda-fillers", "fda-p090016", "fda-s050", "jcad-hyal-2018"],
                "body": """
                    Results from absorbable fillers do not last. How long they last depends on the product and the area. Each product's FDA label says what its studies found. For example:

                    - Belotero Balance lasted up to 6 months for lines from nose to mouth.
                    - Belotero Balance (+) Lidocaine lasted up to 48 weeks for hollows under the eyes.

                    **Can filler be undone?** HA filler can be broken down with an enzyme called hyaluronidase. This use is "off-label": it is not listed on the drug's label. Doctors base it on expert guidance.
                """,
            },
            {
                "kind": "side_effects",
                "sources": ["fda-dos"],
                "body": """
                    Most side effects start soon after the injection and clear up within weeks. Some start weeks or even years later. Each product has its own list, so ask your provider what to expect.
                """,
            },
            {
                "kind": "contraindications",
                "sources": ["fda-fillers"],
                "body": """
                    FDA approvals for fillers are for adults aged 22 and over. Each product's label also lists its own reasons not to treat, or to wait; for Belotero, see our Belotero page. Our consultation form asks about each point below.
                """,
            },
            {
                "kind": "faq",
                "sources": ["fda-fillers", "fda-needlefree"],
                "body": """
                    ### Can I buy filler online and use it at home?

                    No. The FDA says never to buy fillers online.

                    ### Are needle-free "hyaluron pens" safe?

                    No. In 2021 the FDA warned people not to use them. They have hurt people's skin, lips and eyes, sometimes for good.
                """,
            },
        ],
        "areas": [],
        "side_effects": [
            {
                "name": "Reactions where the filler went in",
                "description": "Swelling, redness, pain and bruising, for example, in one HA filler's label.",
                "frequency": "common",
                "duration": "Most clear within weeks.",
                "sources": ["fda-dos", "fda-p090016"],
            },
            {
                "name": "Swelling or redness later on",
                "description": "Near the filler, after an illness, a vaccine or dental work. Tell us if this happens.",
                "frequency": "delayed",
                "duration": "Can start weeks or years later.",
                "sources": ["fda-delayed", "fda-dos"],
            },
            {
                "name": "Allergic reaction",
                "description": "Fillers may not suit people with some allergies. Some fillers contain lidocaine, and Belotero gel has traces of bacterial proteins. A severe allergic reaction is an emergency: call 911. For a mild one, call us.",
                "frequency": "possible",
                "duration": "",
                "sources": ["fda-dos", "fda-s050"],
            },
            {
                "name": "Filler blocking a blood vessel",
                "description": "This can cause loss of sight, which may be permanent, a stroke, or damage to the skin or deeper tissue. See \u201cGet help at once\u201d at the top of this page.",
                "frequency": "rare",
                "duration": "Needs emergency care.",
                "sources": ["fda-dos"],
            },
        ],
        "precautions": [
            {
                "kind": "discuss",
                "description": "Fillers may not be right for people with a bleeding disorder.",
                "question": "Do you have a bleeding or clotting disorder?",
                "sources": ["fda-dos"],
            },
            {
                "kind": "discuss",
                "description": "Fillers may not be right for people with some allergies. Tell us about every allergy, and any bad reaction you have had.",
                "question": "Do you have any allergies, such as to medicines or to something you reacted to badly in the past?",
                "sources": ["fda-dos"],
            },
            {
                "kind": "discuss",
                "description": "A numbing injection such as lidocaine may be used, and some fillers contain lidocaine. Products with lidocaine must not be used if you are allergic to it or to other amide-type local anesthetics (numbing drugs).",
                "question": "Are you allergic to lidocaine or any other numbing injection, such as the one a dentist uses?",
                "sources": ["pi-bal", "fda-s050"],
            },
        ],
    },
    {
        "slug": "belotero",
        "name": "Belotero",
        "summary": "Belotero is a range of clear hyaluronic acid fillers made by Merz. In the US, Belotero products are approved for deep facial lines and folds and for hollows under the eyes. The FDA database also lists a lip product, with no label yet.",
        "sections": [
            GET_HELP,
            {
                "kind": "overview",
                "sources": ["fda-p090016", "prasetyo-2016", "fda-s050", "openfda-p250016"],
                "body": """
                    Belotero is a brand of dermal filler made by the company Merz. Each product is a clear gel made of hyaluronic acid (HA). HA is a sugar your body makes on its own.

                    US approvals we found include:

                    - **Belotero Balance**, for moderate to severe lines and folds on the face (2011).
                    - **Belotero Balance (+) Lidocaine**, for hollows under the eyes in adults over 21 (2023).
                    - **Belotero Intense (+) Lidocaine**, for the lips in adults over 21. We know of this only from the FDA's database (July 2026). No FDA summary or label has been published yet.

                    Ask your provider which product, if any, suits you.
                """,
            },
            {
                "kind": "how_it_works",
                "sources": ["fda-p090016", "openfda-p090016"],
                "body": """
                    Belotero adds volume. The gel fills the space under a line, a fold or a hollow. This lifts the skin from below, so it looks smoother. The effect does not last.

                    Some ads say Belotero makes your skin build new collagen. This has not been shown, and the FDA labeling makes no such claim.

                    Products with (+) in the name contain lidocaine, a numbing drug. Belotero Balance (+) has 0.3% lidocaine.
                """,
            },
            {
                "kind": "areas",
                "sources": ["fda-p090016"],
                "body": """
                    Each product is approved for certain areas only. The label by each area says what is known in the US. If a provider suggests a use that is not approved, ask why, and what is known about its safety.
                """,
            },
            {
                "kind": "procedure",
                "sources": ["fda-dos", "pi-bal", "fda-needlefree", "fda-s050", "belotero-ca", "fda-p090016"],
                "body": """
                    **Before.** Your provider asks about your health, your medicines and your allergies. They explain the risks and what to expect.

                    **Numbing.** With plain Belotero Balance, your provider may first inject a numbing drug such as lidocaine. Products with (+) already contain it.

                    **The injection.** The gel goes in with a syringe. The Balance (+) pack comes with two needles.

                    **How long it takes.** About 30 minutes. Many people need a second injection for the best result, often about 2 weeks after the first. In the main study of Belotero Balance, 103 of 118 people had one.
                """,
            },
            {
                "kind": "results",
                "sources": ["fda-p090016", "fda-s050", "openfda-p250016", "jcad-hyal-2018"],
                "body": """
                    How long results last depends on the product and the area. From the FDA labeling:

                    - **Lines from nose to mouth (Belotero Balance):** up to 6 months. After that, the effect fades slowly.
                    - **Hollows under the eyes (Belotero Balance (+) Lidocaine):** up to 48 weeks, about 11 months, after 1 or 2 sessions.
                    - **Lips (Belotero Intense (+) Lidocaine):** not known yet. No US label has been published.

                    **Can it be undone?** HA filler can be broken down with an enzyme called hyaluronidase. This use is "off-label": it is not listed on the drug's label. Doctors base it on expert guidance.
                """,
            },
            {
                "kind": "side_effects",
                "sources": ["isi-bal"],
                "body": """
                    Most reactions happen where the needle went in. They start soon after treatment and last 7 days or less.
                """,
            },
            {
                "kind": "contraindications",
                "sources": ["fda-s050", "isi-bal"],
                "body": """
                    These come from the Belotero labeling. Our consultation form asks about each one.
                """,
            },
            {
                "kind": "aftercare",
                "sources": ["belotero-ca", "asps", "isi-pt", "isi-bal"],
                "body": """
                    Most people have little or no downtime. After lip treatment, your lips may look swollen for 2 to 3 days. Try not to rub the treated area.

                    **For the first 24 hours, avoid** hard exercise, a lot of sun or heat, alcohol, and aspirin or ibuprofen-type painkillers. These can cause short-term redness, swelling or itching. If a doctor told you to take one of these drugs, ask us first. **Call us** if swelling, redness or pain lasts more than 7 days.
                """,
            },
            {
                "kind": "faq",
                "sources": ["fda-fillers", "fda-needlefree"],
                "body": """
                    ### Can I buy Belotero online and use it at home?

                    No. The FDA says never to buy fillers online, and never to use needle-free "hyaluron pens": they have hurt people's skin, lips and eyes. Go to a licensed provider in a medical setting.
                """,
            },
        ],
        "areas": [
            {
                "name": "Lines from nose to mouth and other deep facial folds",
                "product": "Belotero Balance",
                "status": "fda_approved",
                "description": "Approved in 2011 for moderate to severe facial wrinkles and folds, such as the lines from nose to mouth.",
                "sources": ["fda-p090016"],
            },
            {
                "name": "Hollows under the eyes",
                "product": "Belotero Balance (+) Lidocaine",
                "status": "fda_approved",
                "description": "Approved in September 2023 for adults over 21.",
                "sources": ["fda-s050"],
            },
            {
                "name": "Lips",
                "product": "Belotero Intense (+) Lidocaine",
                "status": "fda_record_only",
                "description": "The FDA's database lists an approval in July 2026 for adding volume to the lips in adults over 21. No FDA summary or label has been published yet, so less is known about it. Belotero Balance and Balance (+) are not approved for the lips: safety and results there have not been shown in controlled studies.",
                "sources": ["openfda-p250016", "isi-bal"],
            },
            {
                "name": "Fine lines, crow's feet and forehead lines",
                "product": "Belotero Balance",
                "status": "not_approved_us",
                "description": "Safety and results in these areas have not been shown in controlled studies.",
                "sources": ["fda-p090016", "isi-bal"],
            },
            {
                "name": "Other Belotero products",
                "product": "Belotero Soft, Hydro, Revive, Lips Shape, Lips Contour",
                "status": "no_us_approval_found",
                "description": "These are sold in other countries. We found no US approval for them.",
                "sources": ["openfda-p090016", "prasetyo-2016", "am-lips", "am-revive"],
            },
        ],
        "side_effects": [
            {
                "name": "Reactions where the needle went in",
                "description": "Swelling, redness, pain or tenderness, bruising, firmness and itching. In the under-eye study, swelling was the most common (about 6 in 100 people).",
                "frequency": "common",
                "duration": "Most last 7 days or less.",
                "sources": ["fda-p090016", "isi-bal", "merz-ioh-2023"],
            },
            {
                "name": "Lumps and bumps",
                "description": "Tell us if you notice one.",
                "frequency": "delayed",
                "duration": "",
                "sources": ["fda-p090016"],
            },
            {
                "name": "Swelling or redness after an illness, a vaccine or dental work",
                "description": "This can happen near a filler, even long after treatment. Tell us if it does.",
                "frequency": "delayed",
                "duration": "",
                "sources": ["fda-delayed"],
            },
            {
                "name": "Infection",
                "description": "This can happen with any injection through the skin. Call us if you are worried about the treated area.",
                "frequency": "possible",
                "duration": "",
                "sources": ["isi-bal"],
            },
            {
                "name": "Allergic reaction",
                "description": "The gel has traces of proteins from gram-positive bacteria, and (+) products contain lidocaine. This is why people with these allergies, or with severe allergies, must not have Belotero (see below). A severe allergic reaction is an emergency: call 911. For a mild one, call us.",
                "frequency": "possible",
                "duration": "",
                "sources": ["fda-s050"],
            },
            {
                "name": "Filler blocking a blood vessel",
                "description": "This can cause loss of sight, which may be permanent, a stroke, or damage to the skin or deeper tissue. See \u201cGet help at once\u201d at the top of this page.",
                "frequency": "rare",
                "duration": "Needs emergency care.",
                "sources": ["isi-bal", "fda-dos"],
            },
        ],
        "precautions": [
            {
                "kind": "do_not_treat",
                "description": "Do not have Belotero if you have ever had a severe allergic reaction (anaphylaxis).",
                "question": "Have you ever had a severe allergic reaction that needed emergency treatment (anaphylaxis)?",
                "sources": ["fda-s050", "isi-bal"],
            },
            {
                "kind": "do_not_treat",
                "description": "Do not have Belotero if you have, or have had, several severe allergies.",
                "question": "Do you have, or have you had, more than one severe allergy?",
                "sources": ["fda-s050", "isi-bal"],
            },
            {
                "kind": "do_not_treat",
                "description": "Do not have Belotero if you are allergic to proteins from gram-positive bacteria. The gel has tiny traces of them.",
                "question": "Are you allergic to proteins from gram-positive bacteria? (Ask us if you are unsure.)",
                "sources": ["fda-s050", "isi-bal"],
            },
            {
                "kind": "do_not_treat",
                "description": "Do not have a (+) product if you are allergic to lidocaine or other amide-type local anesthetics (numbing drugs). Plain Balance may be given after a lidocaine injection, so your provider must know.",
                "question": "Are you allergic to lidocaine or any other numbing injection, such as the one a dentist uses?",
                "sources": ["fda-s050", "pi-bal"],
            },
            {
                "kind": "do_not_treat",
                "description": "The gel must never be injected into a blood vessel.",
                "question": "",
                "sources": ["isi-bal"],
            },
            {
                "kind": "postpone",
                "description": "Wait if you have a cold sore, spots, a rash, hives or an infection where you want treatment, until it is under control.",
                "question": "Do you have a cold sore, spots, a rash, hives or an infection in the area you want treated?",
                "sources": ["isi-bal"],
            },
            {
                "kind": "discuss",
                "description": "Safety has not been shown in pregnancy or breastfeeding. This is a reason for care, not a ban.",
                "question": "",
                "sources": ["isi-bal"],
            },
            {
                "kind": "discuss",
                "description": "Safety has not been shown in people under 21.",
                "question": "",
                "sources": ["isi-bal", "fda-s050"],
            },
            {
                "kind": "discuss",
                "description": "Aspirin, ibuprofen-type painkillers, blood thinners and some supplements can make bruising or bleeding more likely.",
                "question": "Do you take blood thinners, aspirin, ibuprofen-type painkillers, or supplements that can affect bleeding?",
                "sources": ["isi-bal"],
            },
            {
                "kind": "discuss",
                "description": "Fillers may not be right for people with a bleeding or clotting disorder.",
                "question": "Do you have a bleeding or clotting disorder?",
                "sources": ["fda-dos"],
            },
            {
                "kind": "discuss",
                "description": "Laser treatment, chemical peels and similar skin treatments on the same area can raise the risk of infection.",
                "question": "Have you had, or are you planning, a laser treatment, chemical peel or similar skin treatment on this area?",
                "sources": ["isi-pt"],
            },
        ],
    },
]

RECORD_MODELS = {"areas": "TreatmentArea", "side_effects": "SideEffect", "precautions": "Precaution"}


def update_content(apps, schema_editor):
    Source = apps.get_model("education", "Source")
    Treatment = apps.get_model("education", "Treatment")
    Section = apps.get_model("education", "Section")
    sources = {}
    for row in SOURCES:
        fields = {k: v for k, v in row.items() if k != "key"}
        sources[row["key"]], _ = Source.objects.update_or_create(key=row["key"], defaults=fields)

    for data in TREATMENTS:
        treatment = Treatment.objects.filter(slug=data["slug"]).first()
        if treatment is None:
            continue  # deleted on this install: not ours to bring back
        treatment.name, treatment.summary = data["name"], data["summary"]
        treatment.review_status = "needs_review"
        treatment.save(update_fields=["name", "summary", "review_status"])

        kinds = [section["kind"] for section in data["sections"]]
        Section.objects.filter(treatment=treatment).exclude(kind__in=kinds).delete()
        for order, record in enumerate(data["sections"]):
            section, _ = Section.objects.update_or_create(
                treatment=treatment,
                kind=record["kind"],
                defaults={"order": order, "title": "", "body": textwrap.dedent(record["body"]).strip()},
            )
            section.sources.set([sources[key] for key in record["sources"]])

        for related, model_name in RECORD_MODELS.items():
            Model = apps.get_model("education", model_name)
            existing = list(Model.objects.filter(treatment=treatment).order_by("order", "pk"))
            for order, record in enumerate(data[related]):
                values = {**{k: v for k, v in record.items() if k != "sources"}, "order": order}
                obj = _take_match(existing, record, by_meaning=related == "precautions")
                if obj is None:
                    obj = Model.objects.create(treatment=treatment, **values)
                else:
                    for field, value in values.items():
                        setattr(obj, field, value)
                    obj.save()
                obj.sources.set([sources[key] for key in record["sources"]])
            for obj in existing:
                obj.delete()


def _take_match(existing, record, by_meaning):
    """The existing row this record replaces, removed from `existing`.

    Precautions are matched by their screening question (or, without one, by the start of
    their text), so a patient's past answer stays linked to the same precaution. Other records
    are matched by position.
    """
    for index, obj in enumerate(existing):
        if not by_meaning:
            return existing.pop(index)
        same = (
            obj.question == record["question"]
            if record["question"]
            else not obj.question and obj.description[:40] == record["description"][:40]
        )
        if same:
            return existing.pop(index)
    return None


class Migration(migrations.Migration):
    dependencies = [("education", "0006_require_named_review")]

    # No way back to the audited text: reversing only leaves this content in place.
    operations = [migrations.RunPython(update_content, migrations.RunPython.noop)]
