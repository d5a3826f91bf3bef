import { ActionIcon, Button, Card, Group, MultiSelect, Select, Stack, TagsInput, Text, TextInput } from '@mantine/core';
import { changeOperator, describeRule, moveRule, newCondition, newRule, OPERATORS, operatorInfo, parseValues, removeAt, replaceAt, showValues, type Condition, type ConditionValue, type Rule } from './rules';
import { ServeEditor } from './ServeEditor';

interface Props {
  rules: Rule[];
  variants: string[];
  segments: string[];
  onChange: (rules: Rule[]) => void;
  disabled?: boolean;
}

/** Ordered rules (first match wins), each ANDing conditions built from attribute / operator / values or segments. */
export function RuleBuilder({ rules, variants, segments, onChange, disabled }: Props) {
  return (
    <Stack gap="xs" data-testid="rule-builder">
      {rules.length === 0 && (
        <Text size="sm" c="dimmed">
          No rule: everyone gets the default.
        </Text>
      )}
      {rules.map((rule, index) => {
        const setRule = (next: Rule) => onChange(replaceAt(rules, index, next));
        const label = `Rule ${index + 1}`;
        return (
          <Card key={index} withBorder p="xs" role="group" aria-label={label}>
            <Group justify="space-between" mb={4}>
              <Text size="sm" fw={600}>
                {label}: <Text span size="xs" c="dimmed">{describeRule(rule)}</Text>
              </Text>
              <Group gap={2}>
                {!disabled && (
                  <ActionIcon variant="subtle" aria-label={`Move ${label} up`} disabled={disabled || index === 0} onClick={() => onChange(moveRule(rules, index, index - 1))}>
                    ↑
                  </ActionIcon>
                )}
                {!disabled && (
                  <ActionIcon variant="subtle" aria-label={`Move ${label} down`} disabled={disabled || index === rules.length - 1} onClick={() => onChange(moveRule(rules, index, index + 1))}>
                    ↓
                  </ActionIcon>
                )}
                {!disabled && (
                  <ActionIcon variant="subtle" color="red.9" aria-label={`Delete ${label}`} disabled={disabled} onClick={() => onChange(removeAt(rules, index))}>
                    ✕
                  </ActionIcon>
                )}
              </Group>
            </Group>
            <Stack gap={4}>
              {rule.conditions.map((condition, ci) => (
                <ConditionRow
                  key={ci}
                  label={`${label} condition ${ci + 1}`}
                  condition={condition}
                  segments={segments}
                  disabled={disabled}
                  onChange={(next) => setRule({ ...rule, conditions: replaceAt(rule.conditions, ci, next) })}
                  onRemove={() => setRule({ ...rule, conditions: removeAt(rule.conditions, ci) })}
                />
              ))}
              {!disabled && (
                <Button size="compact-xs" variant="subtle" w="fit-content" disabled={disabled} onClick={() => setRule({ ...rule, conditions: [...rule.conditions, newCondition()] })}>
                  + AND condition
                </Button>
              )}
              <ServeEditor serve={rule.serve} variants={variants} onChange={(serve) => setRule({ ...rule, serve })} label={`${label} serves`} disabled={disabled} />
            </Stack>
          </Card>
        );
      })}
      {!disabled && (
        <Button size="xs" variant="default" w="fit-content" disabled={disabled} onClick={() => onChange([...rules, newRule(variants[0] ?? '')])}>
          + Add rule
        </Button>
      )}
    </Stack>
  );
}

function ConditionRow({ condition, segments, onChange, onRemove, label, disabled }: { condition: Condition; segments: string[]; onChange: (c: Condition) => void; onRemove: () => void; label: string; disabled?: boolean | undefined }) {
  const info = operatorInfo(condition.operator);
  const values = showValues(condition.values as ConditionValue[] | undefined);
  return (
    <Group gap={4} wrap="nowrap" align="flex-start" role="group" aria-label={label}>
      {info.values !== 'segments' && (
        <TextInput aria-label={`${label} attribute`} placeholder="attribute (e.g. company)" value={condition.attribute ?? ''} onChange={(e) => onChange({ ...condition, attribute: e.currentTarget.value })} w={170} size="xs" disabled={disabled} />
      )}
      <Select aria-label={`${label} operator`} data={OPERATORS.map((o) => ({ value: o.value, label: o.label }))} value={condition.operator} allowDeselect={false} onChange={(v) => v && onChange(changeOperator(condition, v))} w={150} size="xs" disabled={disabled} />
      {info.values === 'segments' ? (
        <MultiSelect aria-label={`${label} segments`} placeholder="segments" data={segments} value={values} onChange={(v) => onChange({ ...condition, values: v })} style={{ flex: 1 }} size="xs" disabled={disabled} />
      ) : info.values === 'none' ? null : (
        <TagsInput
          aria-label={`${label} values`}
          placeholder={info.values === 'one' ? 'value, then Enter' : 'values, Enter after each'}
          value={values}
          maxTags={info.values === 'one' ? 1 : undefined}
          onChange={(typed) => onChange({ ...condition, values: parseValues(condition.operator, typed) ?? [] })}
          style={{ flex: 1 }}
          size="xs"
          disabled={disabled}
        />
      )}
      {!disabled && (
        <ActionIcon variant="subtle" color="red.9" aria-label={`Remove ${label}`} onClick={onRemove} disabled={disabled}>
          ✕
        </ActionIcon>
      )}
    </Group>
  );
}
