"""Make the corpus's PDFs (run from the repository root: `python corpus/make_pdfs.py`).

The texts are ours (panel-kb editors). reportlab lays them out over several
pages so that page numbers matter when passages are cited. Needs the test
extra: `pip install -e .[test]`.
"""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parent

DOCUMENTS = {
    "essays/four-ways-to-be-a-staff-engineer.pdf": (
        "Four ways to be a staff engineer",
        "panel-kb editors",
        """# Four ways to be a staff engineer

Ask ten staff engineers what their job is and you will hear ten different answers. One spends most of her time as the technical lead of a single large team. Another floats between projects, dropped in wherever something is on fire. A third writes the architecture documents that a whole division builds against. A fourth works mostly with a senior executive, extending that leader's reach into technical decisions they cannot attend to personally. All four hold the same title, and all four are doing the job well.

This variety confuses engineers who are trying to reach staff, because it is hard to aim at a target that keeps changing shape. A helpful way to make sense of it comes from Will Larson's book Staff Engineer, which describes four common archetypes of the role. The names below are his; the descriptions and the commentary are ours, drawn from the panels and interviews collected in this knowledge base.

## The tech lead

The tech lead archetype guides the approach and execution of a particular team, or a small cluster of closely related teams. They partner with the team's manager, scope and sequence the work, make the key technical decisions, and make sure the team ships. This is the most common shape of the staff role, and it is the one most senior engineers picture when they imagine the next step.

What distinguishes a staff-level tech lead from a senior engineer who happens to lead a project is the breadth of responsibility. The staff tech lead is accountable for the team's technical health over years, not for one project's delivery. They think about what the team should be building next quarter and next year, they grow the engineers on the team so that the team does not depend on them, and they represent the team's technical position in cross-team discussions.

The risk in this archetype is becoming a bottleneck. A tech lead who reviews every change and makes every decision will slow the team and stunt its growth. The best ones deliberately hand decisions down as the team matures.

## The architect

The architect archetype is responsible for the direction, quality and approach within a critical area, often one that spans many teams: the data model, the service boundaries, the security posture, the mobile platform. They combine deep knowledge of the technical domain with a good understanding of the business needs and the organisation's constraints.

Architects spend much of their time writing and reviewing. They write the documents that explain how the area should evolve, they review the designs that touch it, and they make sure the many teams working in the area are moving in a compatible direction. Their influence depends on being trusted, which depends on being right often, on explaining their reasoning clearly, and on staying close enough to the code that their views are grounded.

The risk here is the ivory tower. An architect who stops looking at real systems and real incidents will produce direction that sounds right and does not survive contact with production. Daniel Okafor made this point in our staff panel when he warned about staff engineers who go fully abstract.

## The solver

The solver digs into arbitrarily complex problems and finds an appropriate path forward. Some solvers focus on one hard area for a long time; others move from problem to problem as the organisation's priorities shift. They are often the people leadership calls when a project is stuck, an incident keeps recurring, or a technical question has no obvious owner.

Solvers tend to have a strong track record of delivery on hard problems, and their credibility comes from that record. Their work is often less visible in day-to-day planning, because they are not attached to one team, and they need a strong relationship with the leader who directs them toward problems. Without that relationship, a solver can end up working on interesting problems that the organisation does not actually need solved.

The solver archetype is a good fit for engineers who love depth, which is worth remembering in the staying-senior discussion. Leo Fischer in our roundtable described himself as someone who would not enjoy the architect version of staff. He might enjoy the solver version a great deal.

## The right hand

The right hand extends an executive's attention, borrowing their scope and authority to operate a complex organisation. They work closely with a senior leader, such as a VP of engineering or a CTO, and take on problems that leader would handle personally if they had time: a reorganisation's technical implications, a cross-cutting initiative, a difficult negotiation between groups.

This archetype is most common in large organisations, and it requires a high degree of trust between the engineer and the executive. The right hand often works on problems that are as much organisational as technical, and they need both credibility with engineers and fluency in how leadership thinks about priorities, budgets and risk.

The risk in this archetype is that the engineer's authority is borrowed. If the executive leaves, the right hand's position can change overnight. It also pulls engineers far from the code, which can make it hard to move back into a more hands-on role later.

## Why the archetypes help

The archetypes are not job descriptions. Most staff engineers mix two of them, and many move between them over a career. Their value is as a vocabulary. They let an engineer say to their manager, "I think I'm drifting toward the architect archetype, and I'd like to be more of a solver," and have that conversation make sense.

They are also useful for promotion. A senior engineer who wants to reach staff can ask which archetype their organisation most needs, which one matches their strengths, and what evidence of that archetype's impact they could produce in the next year. Arjun Mehta's advice in our promotion panel, to write the counterfactual for each example, works especially well when the examples are clearly framed within one archetype. A committee reading a packet that says "I acted as the solver for our three hardest reliability problems this year, and here is what would not have happened without me" knows exactly what it is evaluating.

## Choosing your archetype

There is no best archetype. The tech lead suits someone who enjoys building a team and shipping with it. The architect suits someone who enjoys systems thinking and writing. The solver suits someone who loves hard problems and can tolerate moving between contexts. The right hand suits someone who is fascinated by how organisations work and enjoys operating close to leadership.

If you are unsure, look at the work that gives you energy. Notice which weeks you finish tired but satisfied, and which weeks leave you drained. The staff role is demanding enough that choosing a shape that fits you is not a luxury; it is how people last in the job.""",
    ),
    "book-notes/staff-engineer-larson-notes.pdf": (
        "Book notes: Staff Engineer (Will Larson)",
        "panel-kb editors",
        """# Book notes: Staff Engineer (Will Larson)

Our reading notes on Will Larson's Staff Engineer: Leadership Beyond the Management Track (2021). The book has two halves: a set of essays on the role and how to operate in it, and a collection of interviews with staff engineers at many companies. These notes cover the essays, in our own words, with our commentary.

## Chapter 1: What do staff engineers actually do?

Larson starts from the observation that the staff title exists at many companies but means different things at each. He proposes four archetypes, the tech lead, the architect, the solver and the right hand, which we describe in more depth in our essay on the topic. He also describes the shared core of the role: setting and editing technical direction, providing sponsorship and mentorship, injecting engineering context into organisational decisions, and exploring problems that nobody else has time to explore.

An idea we found clarifying is that staff engineers spend much of their time on work that is essential but not assigned. It is glue work, in a sense, except that at staff level it is the expected job rather than an unrecognised extra.

## Chapter 2: Does the title matter?

Larson discusses whether the staff title itself matters, and argues that it does, for several reasons: it gives access to rooms where decisions are made, it gives a kind of default credibility that saves time in every conversation, and it affects compensation and future opportunities. He is honest that the title should not matter as much as it does, but realistic that in most companies it does.

This connects to the staying-senior discussion in our roundtable. The title opens doors, and an engineer who chooses to stay senior is choosing to open those doors in other ways, through expertise and relationships.

## Chapter 3: Operating at staff

This is the longest part of the essay section, and the most practical. A few ideas stood out to us.

Work on what matters. Larson warns against several traps: snacking on easy, low-impact work because it feels productive; preening, meaning doing highly visible work of little real value; and chasing ghosts, meaning pursuing problems that only seem important because of the engineer's own assumptions. Instead he suggests focusing on existential issues when they exist, on areas where there is energy and attention, on growing others, on editing rather than writing from scratch, and on finishing the small, high-impact projects that nobody else will pick up.

Set technical direction. Larson's advice here is practical: to write an engineering strategy, start by writing several design documents for real problems, then synthesise what they have in common into a strategy, and then, later, extrapolate the strategies into a vision. Strategy grounded in real decisions is much more useful than strategy written from first principles.

Mentorship and sponsorship. He treats both as core responsibilities of the role, not optional extras, and encourages staff engineers to be deliberate about whom they sponsor.

Stay aligned with authority. Staff engineers have influence but not formal authority, so they must stay aligned with the leaders who do have it. Larson discusses keeping your manager and your manager's manager informed, understanding their priorities, and avoiding surprising them. This matches Priya Raman's description in our staff panel of the partnership between a staff engineer and a director.

To lead, you have to follow. Staff engineers are often the people who disagree most articulately, and Larson reminds readers that leadership also means supporting decisions you argued against once they have been made, and helping others follow a direction they are not sure about.

Create space for others. As engineers become more senior, they can inadvertently crowd out growth opportunities for others. Part of the staff role is deliberately stepping back so that others can step up.

Build a network of peers. Staff engineers benefit from peers inside and outside their company who face similar problems, because the role can be isolating.

Present to executives. Larson gives advice on communicating with senior leaders: lead with the conclusion, be brief, know what you are asking for, and expect to be interrupted.

## Chapter 4: Getting the title where you are

This part covers the mechanics of promotion. Larson discusses promotion packets, the importance of having a sponsor, and the idea of a staff project: a project whose scope and impact demonstrate staff-level work. He also notes that getting the staff title often depends on finding the right opportunity, which in turn depends on being visible and on having a manager who is invested in your promotion.

His advice on promotion packets matches what we heard in our promotion panel. Make the impact concrete, make your role in it explicit, and gather support from people outside your team. He also discusses the possibility of finding the staff title at another company, which is sometimes faster than waiting for an opportunity internally, with the trade-off that you lose the relationships and context you have built.

## Chapter 5: Overcoming the staff-plus plateau

Larson also discusses what happens after the title, including the risk of stagnating once the goal has been reached. He encourages staff engineers to keep growing, whether toward principal roles, into management for a time, or by deepening in a particular archetype.

## The interviews

The second half of the book contains interviews with staff engineers at many companies. We have not summarised them here. Their main value, in our view, is showing how different the role looks in different organisations, which reinforces the central message of the archetypes: there is no single correct way to be a staff engineer.

## Our overall take

Larson's book is the most practical guide we know to operating in the staff role once you have it. Where Tanya Reilly's book excels at naming the skills, Larson's is strongest on tactics: how to choose work, how to write strategy, how to navigate promotion. The two complement each other well, and we recommend reading both.""",
    ),
}


def write_pdf(path: Path, title: str, author: str, text: str) -> None:
    """Headings (lines starting with #) and paragraphs, A4, with page numbers in the footer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    story = []
    for block in text.strip().split("\n\n"):
        block = block.strip()
        if block.startswith("## "):
            story.append(Paragraph(block[3:], styles["Heading2"]))
        elif block.startswith("# "):
            story.append(Paragraph(block[2:], styles["Title"]))
        else:
            story.append(Paragraph(block, styles["BodyText"]))
            story.append(Spacer(1, 0.2 * cm))

    def footer(canvas, doc) -> None:
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"page {doc.page}")

    path.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        title=title,
        author=author,
        invariant=1,
        leftMargin=2.5 * cm,
        rightMargin=2.5 * cm,
        topMargin=2.5 * cm,
        bottomMargin=2.5 * cm,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)


def main() -> None:
    for relative, (title, author, text) in DOCUMENTS.items():
        write_pdf(CORPUS / relative, title, author, text)
        print(f"wrote {relative}")


if __name__ == "__main__":
    main()
