"""Small SBML documents for the tests: a builder (one compartment, species X decaying at
rate k by default) and the table of malformed or unsupported documents with the message
fragment each must get (used by tests/test_sbml.py and the bad-input catalogue)."""

L3 = '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">'
MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML">{}</math>'


def sbml(
    body: str = "",
    species: str = '<species id="X" compartment="c" initialAmount="10" '
    'hasOnlySubstanceUnits="true" boundaryCondition="false" constant="false"/>',
    params: str = '<parameter id="k" value="0.5" constant="true"/>',
    reactions: str | None = None,
    compartment: str = '<compartment id="c" spatialDimensions="3" size="1" constant="true"/>',
    header: str = L3,
) -> str:
    """A small SBML document: one compartment, species, parameters, reactions, extras."""
    if reactions is None:
        reactions = reaction("R1", "<ci> k </ci><ci> X </ci>", reactants='"X" stoichiometry="1"')
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{header}<model id="m">'
        f"<listOfCompartments>{compartment}</listOfCompartments>"
        f"<listOfSpecies>{species}</listOfSpecies>"
        f"<listOfParameters>{params}</listOfParameters>"
        f"<listOfReactions>{reactions}</listOfReactions>{body}</model></sbml>"
    )


def reaction(rid, times, reactants=None, products=None, extra="", law=None):
    """A reaction whose kinetic law is the product of the MathML terms ``times``."""
    sides = ""
    for tag, ref in (("listOfReactants", reactants), ("listOfProducts", products)):
        if ref:
            sides += f'<{tag}><speciesReference species={ref} constant="true"/></{tag}>'
    if law is None:
        law = f"<kineticLaw>{MATH.format(f'<apply><times/>{times}</apply>')}</kineticLaw>"
    return f'<reaction id="{rid}" reversible="false"{extra}>{sides}{law}</reaction>'


PLAIN_X = '"X" stoichiometry="1"'


EVENT = (
    '<listOfEvents><event id="e1"{attrs}><trigger initialValue="true" persistent="true">'
    + MATH.format("<apply><gt/><ci> X </ci><cn> 5 </cn></apply>")
    + "</trigger>{inner}"
    '<listOfEventAssignments><eventAssignment variable="X">'
    + MATH.format("<cn> 0 </cn>")
    + "</eventAssignment></listOfEventAssignments></event></listOfEvents>"
)
L3V1 = '<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">'

MALFORMED = {
    "not xml": ("<sbml><model", "invalid SBML"),
    "missing file": ("/nonexistent/model.xml", "no SBML file at '/nonexistent/model.xml'"),
    "algebraic rule": (
        sbml(
            body=f"<listOfRules><algebraicRule>{MATH.format('<ci> k </ci>')}"
            "</algebraicRule></listOfRules>"
        ),  # fmt: skip
        "algebraicRule",
    ),
    "rate rule": (
        sbml(
            body=f'<listOfRules><rateRule variable="X">{MATH.format("<ci> k </ci>")}'
            "</rateRule></listOfRules>"
        ),  # fmt: skip
        "rateRule for 'X'",
    ),
    "event delay": (
        sbml(
            body=EVENT.format(
                attrs=' useValuesFromTriggerTime="true"',
                inner=f"<delay>{MATH.format('<cn> 1 </cn>')}</delay>",
            )
        ),  # fmt: skip
        "event 'e1': delays are not supported",
    ),
    "event priority": (
        sbml(
            body=EVENT.format(
                attrs=' useValuesFromTriggerTime="true"',
                inner=f"<priority>{MATH.format('<cn> 1 </cn>')}</priority>",
            )
        ),  # fmt: skip
        "event 'e1': priorities are not supported",
    ),
    "fast reaction": (
        sbml(
            header=L3V1,
            reactions=reaction("R1", "<ci> k </ci><ci> X </ci>", PLAIN_X, extra=' fast="true"'),
        ),
        "reaction 'R1': fast reactions are not supported",
    ),
    "reversible reaction": (
        sbml(
            reactions=reaction("R1", "<ci> k </ci><ci> X </ci>", PLAIN_X).replace(
                'reversible="false"', 'reversible="true"'
            )
        ),  # fmt: skip
        "reaction 'R1': reversible reactions",
    ),
    "non-integer stoichiometry": (
        sbml(reactions=reaction("R1", "<ci> k </ci><ci> X </ci>", '"X" stoichiometry="1.5"')),
        "reaction 'R1': non-integer stoichiometry 1.5 of 'X'",
    ),
    "no kinetic law": (
        sbml(reactions=reaction("R1", "", PLAIN_X, law="")),
        "reaction 'R1': no kinetic law",
    ),
    "function definition": (
        sbml().replace(
            "<listOfCompartments>",
            '<listOfFunctionDefinitions><functionDefinition id="f">'
            + MATH.format("<lambda><bvar><ci> x </ci></bvar><ci> x </ci></lambda>")
            + "</functionDefinition></listOfFunctionDefinitions><listOfCompartments>",
        ),
        "functionDefinition: not supported",
    ),
    "non-constant compartment": (
        sbml(compartment='<compartment id="c" spatialDimensions="3" size="1" constant="false"/>'),
        "compartment 'c': non-constant compartments are not supported",
    ),
    "fractional initial amount": (
        sbml(
            species='<species id="X" compartment="c" initialAmount="2.5" '
            'hasOnlySubstanceUnits="true" boundaryCondition="false" constant="false"/>'
        ),  # fmt: skip
        "species 'X': initial amount 2.5 is not a molecule count",
    ),
    "parameter without value": (
        sbml(params='<parameter id="k" constant="true"/>'),
        "parameter 'k': no value",
    ),
    "rule on a reacting species": (
        sbml(
            body=f'<listOfRules><assignmentRule variable="X">{MATH.format("<cn> 3 </cn>")}'
            "</assignmentRule></listOfRules>"
        ),  # fmt: skip
        "assignmentRule for 'X': the species changes in reactions",
    ),
    "unsupported math": (
        sbml(reactions=reaction("R1", "<apply><factorial/><ci> X </ci></apply>", PLAIN_X)),
        "kineticLaw of reaction 'R1'",
    ),
}
